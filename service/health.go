package service

import (
	"context"

	"github.com/hostcall/hostcall/internal/wire"
)

// HealthNamespace is the namespace of the built-in health services
// (docs/PROTOCOL.md section 6, health): every end that serves answers
// "ping", and a host takes "leave". It is reserved: a registry's
// namespace of that name is never reached.
const HealthNamespace = wire.HealthNamespace

// Ping asks the host whether it is there and answers, and waits for the
// answer or for ctx to end. The host answers as soon as it reads the
// ping, ahead of the calls waiting for a slot, so a nil error says that
// the host reads, dispatches and writes; an error that matches
// context.DeadlineExceeded says it did none of that in time.
func (c *Client) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

// Ping pings the host on the default connection (see Client.Ping).
func Ping(ctx context.Context) error { return Default().Ping(ctx) }

// Leave asks the host to stop this plugin cleanly, saying why: the host
// answers, then closes its stream to the plugin (a plugin in Serve then
// returns, and exits as it would when the host stops it), and a host that
// supervises the plugin does not restart it. A host that does not take
// leave notices (a protocol 1 host) answers with an error.
//
//	if err := service.Leave(ctx, "config removed"); err != nil { ... }
//
// Once the host has answered, the orphan guard (ExitWithoutHost) is
// stopped: the host closes its stream to a plugin that leaves, which is
// not the host going away, and the plugin is on its way out.
func (c *Client) Leave(ctx context.Context, reason string) error {
	if err := c.conn.Leave(ctx, reason); err != nil {
		return err
	}
	c.stopGuard()
	return nil
}

// Leave sends a leave notice on the default connection (see Client.Leave).
func Leave(ctx context.Context, reason string) error { return Default().Leave(ctx, reason) }
