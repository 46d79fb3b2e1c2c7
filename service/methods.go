package service

import (
	"context"
	"fmt"

	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/internal/wire"
)

// GetManifest decodes the manifest of namespace ns into v (a
// *json.RawMessage keeps it raw). A namespace without a manifest leaves v
// untouched.
func (c *Client) GetManifest(ctx context.Context, ns string, v any) error {
	p, err := c.request(ctx, wire.TypeGetManifest, ns)
	if err != nil {
		return err
	}
	if p.Reply == nil || string(p.Reply) == "null" {
		return nil
	}
	if err := wire.JSON.Unmarshal(p.Reply, v); err != nil {
		return fmt.Errorf("service: manifest of %q: %w", ns, err)
	}
	return nil
}

// ListServices returns the sorted names of the services of namespace ns.
func (c *Client) ListServices(ctx context.Context, ns string) ([]string, error) {
	p, err := c.request(ctx, wire.TypeListServices, ns)
	if err != nil {
		return nil, err
	}
	return sortedCopy(p.Services), nil
}

// HasNamespace reports whether the host defines namespace ns.
func (c *Client) HasNamespace(ctx context.Context, ns string) (bool, error) {
	p, err := c.request(ctx, wire.TypeHasNamespace, ns)
	if err != nil {
		return false, err
	}
	return p.OK, nil
}

func (c *Client) request(ctx context.Context, typ, ns string) (*engine.Reply, error) {
	return c.call(ctx, ns, ns, "", &wire.Request{Type: typ, Namespace: ns}, nil)
}
