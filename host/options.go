package host

import (
	"context"
	"log"
	"time"

	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/service"
)

// Defaults of the serve options.
const (
	DefaultMaxFrameSize = wire.DefaultMaxFrame
	DefaultMaxInFlight  = engine.DefaultMaxInFlight
	DefaultDrainTimeout = engine.DefaultDrainTimeout
)

// ServeOption configures Serve. It is service.ServeOption: the same options
// configure a plugin that serves (service.WithServeOptions).
type ServeOption = service.ServeOption

// serveConfig is the engine's configuration of a served connection.
type serveConfig = engine.Config

func newServeConfig(opts []ServeOption) serveConfig {
	var c serveConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithMaxFrameSize sets the largest frame, request or response, blobs
// included, that the connection accepts or sends (default 64 MiB). Larger
// requests are discarded and answered with code too_large; larger results are
// answered with too_large instead.
func WithMaxFrameSize(n int) ServeOption {
	return func(c *serveConfig) {
		if n > 0 {
			c.MaxFrame = n
		}
	}
}

// WithMaxInFlight bounds how many calls of one connection run at once
// (default 1024). When the bound is reached the host stops reading from that
// plugin until a call finishes: backpressure instead of unbounded goroutines.
// WithMaxPendingBytes bounds the same calls by the bytes of their arguments.
func WithMaxInFlight(n int) ServeOption {
	return func(c *serveConfig) {
		if n > 0 {
			c.MaxInFlight = n
		}
	}
}

// WithDrainTimeout bounds how long Serve waits, once the connection has
// ended and every call's context is canceled, for services still running
// (default 5 s). A service that ignores its context and outlives the bound is
// left to finish on its own: its result is dropped and Serve reports it.
func WithDrainTimeout(d time.Duration) ServeOption {
	return func(c *serveConfig) {
		if d > 0 {
			c.DrainTimeout = d
		}
	}
}

// WithErrorLog sets where the host reports what it cannot tell the plugin:
// a recovered panic's stack, frames dropped because no sequence could be
// recovered. By default nothing is logged.
//
// Deprecated: give Bind and Start WithLogger, which sends these reports,
// with the plugin's own records, to a *slog.Logger; give Serve
// WithServeLogger.
func WithErrorLog(l *log.Logger) ServeOption {
	return func(c *serveConfig) {
		c.Logf = nil
		if l != nil {
			c.Logf = func(format string, a ...any) { l.Printf("host: "+format, a...) }
		}
	}
}

// withValues makes the contexts of the served calls carry ctx's values
// (not its cancellation).
func withValues(ctx context.Context) ServeOption {
	return func(c *serveConfig) { c.Values = ctx }
}
