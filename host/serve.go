package host

import (
	"context"
	"fmt"
	"io"

	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/registry"
)

// Serve serves reg to the plugin at the other end of r (its requests) and w
// (the host's responses) until the plugin closes its end, a read or write
// fails, or ctx ends. Calls run concurrently (see the package doc), each
// with a context that a cancel frame, the call's timeout or the end of the
// connection cancels.
//
// When ctx ends, Serve interrupts its pending read through r's read deadline
// or, lacking one, by closing r; a reader with neither is only noticed when
// its current read returns. Before returning, Serve cancels every call still
// running and waits for them (see WithDrainTimeout), then flushes the
// responses already queued.
//
// Serve returns nil when the plugin closed the stream cleanly, ctx's error
// when ctx ended it, and otherwise the error that ended it.
func Serve(ctx context.Context, reg *registry.Registry, r io.Reader, w io.Writer, opts ...ServeOption) error {
	if reg == nil {
		panic("host: Serve with a nil registry")
	}
	cfg := newServeConfig(opts)
	cfg.Registry = reg
	var conn *engine.Conn
	if cfg.OnLeave == nil {
		logf := cfg.Logf
		cfg.OnLeave = func(reason string) func() {
			return func() {
				if logf != nil {
					logf("the plugin asked to leave (%q): closing its connection", reason)
				}
				conn.CloseWrite()
			}
		}
	}
	conn = engine.New(r, w, cfg)
	return hostError(ctx, conn.Serve(ctx, reg))
}

// hostError words an error of Serve.
func hostError(ctx context.Context, err error) error {
	if err != nil && err != ctx.Err() {
		err = fmt.Errorf("host: %w", err)
	}
	return err
}

// answerHello makes a connection answer the plugin's hello instead of
// saying its own: the host's side.
func answerHello(c *serveConfig) { c.Hello = false }

// errStillRunning marks Serve's report of services that outlived the drain
// timeout.
var errStillRunning = engine.ErrStillRunning
