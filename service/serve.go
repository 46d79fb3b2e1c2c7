package service

import (
	"context"

	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// ServeOption configures how a connection serves a registry: the bound on
// calls in flight, the drain timeout, where diagnostics go. host.ServeOption
// is the same type, and host's With... serve options apply to a client too
// (through WithServeOptions).
type ServeOption func(*engine.Config)

// WithServeOptions applies serve options to the client's connection, for
// when it serves a registry (Serve).
func WithServeOptions(opts ...ServeOption) ClientOption {
	return func(c *clientConfig) {
		for _, o := range opts {
			if o != nil {
				o(c)
			}
		}
	}
}

// Serve serves reg to the host on the client's connection until the host
// closes it, the connection fails or ctx ends, like http.ListenAndServe:
// the host calls the plugin's services as the plugin calls the host's, with
// the same signature rules, contexts, cancel, deadlines, blobs, panics and
// error codes (see package registry). The client keeps calling the host
// meanwhile, from any goroutine, and a service may call the host while it
// serves the host's call.
//
// Serve tells the host it serves (hello lists "serve"); a host waits for
// that before it calls (host.Start). It returns nil when the host closed
// the connection, ctx's error when ctx ended it, and otherwise the error
// that ended it; the client is closed from then on, its streams too, so
// that the host reads their end at once (its calls fail rather than wait
// for answers that will not come) even if the plugin goes on running. A
// client serves one registry, once.
func (c *Client) Serve(ctx context.Context, reg *registry.Registry) error {
	if reg == nil {
		panic("service: Serve with a nil registry")
	}
	err := c.conn.Serve(ctx, reg)
	if c.conn.Err() != nil { // Serve ended the connection (not: served already, ctx ended first)
		c.conn.Close()
	}
	return err
}

// Serve serves reg to the host on the default connection (see
// Client.Serve). A plugin that is not hosted returns ErrNotHosted at once.
func Serve(ctx context.Context, reg *registry.Registry) error {
	return Default().Serve(ctx, reg)
}

// AwaitServing waits until the peer has said it serves (its hello lists
// "serve"), the connection ends or ctx ends: a host calls a plugin once it
// does.
func (c *Client) AwaitServing(ctx context.Context) error {
	return c.conn.AwaitPeer(ctx, wire.FeatureServe)
}

// Done is closed when the client's connection has ended.
func (c *Client) Done() <-chan struct{} { return c.conn.Done() }

// Err returns the error that ended the connection, nil while it lasts; it
// matches ErrClosed.
func (c *Client) Err() error { return c.conn.Err() }

// CloseWrite ends the stream to the peer after the frames already queued,
// like net.TCPConn's: the peer reads the end of its input (a plugin in
// Serve returns) while this end still reads what the peer sends. Calls
// made after it fail.
//
// It stops the orphan guard (ExitWithoutHost), whose copy of the
// descriptor would otherwise keep the stream open.
func (c *Client) CloseWrite() error {
	c.stopGuard()
	return c.conn.CloseWrite()
}
