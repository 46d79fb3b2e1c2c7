package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hostcall/hostcall/internal/logrec"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// LogNamespace is the namespace that WithLogger adds, in a layer of its
// own over the registry, to each plugin run: plugins send their log
// records to its service "write" (service.LogHandler; docs/PROTOCOL.md
// section 6, logs). A plugin of a host without it writes them on stderr.
const LogNamespace = logrec.Namespace

// WithLogger makes l receive what each plugin run logs, and what the host
// has to say about the run, every record with the attributes plugin (the
// plugin's name), command (the command's path words) and pid (its process
// id, when the executor reported it):
//
//   - the records the plugin sends with service.LogHandler, with their
//     time, level, message, attributes and groups;
//   - the plugin's stderr, which then goes to l instead of the host's
//     stderr (or a pluginexec.WithStderr writer): each line a record, at
//     INFO with the attribute source=stderr, except the lines that
//     slog.JSONHandler writes, which keep their time, level, message and
//     attributes, and the message and stack of a Go panic or fatal error,
//     which make one ERROR record (message: the panic's first line;
//     attribute stack: the rest), sent when stderr ends;
//   - the host's own diagnostics about the run's connection (recovered
//     panics of services, frames dropped for want of a sequence, services
//     still running when the drain timeout ended), with source=host, in
//     place of WithErrorLog's logger.
//
// The records reach l's handler from the goroutines that serve the run;
// the handler must be safe for concurrent use, as slog's handlers are. The
// run's error still carries the tail of its stderr (with a panic's
// message and stack). WithLogger is a bind option: give it to Bind or
// Start; with WithBindFunc, the BindFunc's registry holds the log namespace
// and its Serve gets the diagnostics through WithCallerFrom.
func WithLogger(l *slog.Logger) BindOption {
	return func(cfg *bindConfig) { cfg.logger = l }
}

// WithServeLogger makes Serve report its diagnostics (recovered panics of
// services, frames dropped for want of a sequence) to l, with the
// attribute source=host: WithErrorLog's successor for Serve. Bind and
// Start take WithLogger, which does this and more.
func WithServeLogger(l *slog.Logger) ServeOption {
	return func(c *serveConfig) {
		c.Logf = nil
		if l != nil {
			c.Logf = diagnostics(func(r slog.Record) { handle(context.Background(), l.Handler(), r) })
		}
	}
}

// runLog is where one plugin run's records go, once WithLogger is given.
type runLog struct {
	base *slog.Logger
	run  *run
	ctx  context.Context // the run's: it carries the run, for CallerFromContext

	once    sync.Once
	handler slog.Handler // base's, with the run's attributes
}

// bindLogged runs a Bind's run with logs: the log namespace in a layer over
// reg, stderr turned into records, diagnostics through WithCallerFrom.
func bindLogged(ctx context.Context, l *slog.Logger, r *run, reg *registry.Registry,
	next func(context.Context, ...pluginexec.ExecOption) error,
	bind func(context.Context, *registry.Registry, func(context.Context, ...pluginexec.ExecOption) error) error) error {
	rl := &runLog{base: l, run: r, ctx: ctx}
	r.logs = rl
	stderr := newStderrLog(rl.emit)
	withStderr := func(ctx context.Context, opts ...pluginexec.ExecOption) error {
		return next(ctx, append(opts, pluginexec.WithStderr(stderr))...)
	}
	err := bind(ctx, rl.layer(reg), withStderr)
	stderr.Close()
	if still := stillRunning(err); still != nil {
		rl.diagnostic("%v", still)
	}
	return err
}

// stillRunning returns the report, among err's, of services that outlived
// the drain timeout, or nil.
func stillRunning(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if s := stillRunning(e); s != nil {
				return s
			}
		}
		return nil
	}
	if errors.Is(err, errStillRunning) {
		return err
	}
	return nil
}

// layer returns a child of reg holding the log namespace.
func (l *runLog) layer(reg *registry.Registry) *registry.Registry {
	layer := reg.Inherit()
	layer.Define(logrec.Namespace, nil)
	layer.AddService(logrec.Namespace, logrec.Service, l.write)
	return layer
}

// write is the service hostcall.log.write: it hands each record to the
// logger. A record that does not decode is reported, with its start, in a
// WARN record of the host's.
func (l *runLog) write(ctx context.Context, records []json.RawMessage) {
	for _, raw := range records {
		r, err := logrec.Decode(raw)
		if err != nil {
			r = slog.NewRecord(time.Now(), slog.LevelWarn, "host: a log record that does not decode", 0)
			r.AddAttrs(slog.String("source", "host"), slog.String("error", err.Error()), slog.String("record", wire.Clip(raw)))
		}
		handle(ctx, l.runHandler(), r)
	}
}

// emit hands a record of the run's stderr or of the host to the logger.
func (l *runLog) emit(r slog.Record) { handle(l.ctx, l.runHandler(), r) }

// runHandler returns the logger's handler with the run's attributes, made
// at the first record: the run has started by then, and its process id
// is known or about to be.
func (l *runLog) runHandler() slog.Handler {
	l.once.Do(func() {
		r := l.run
		attrs := []slog.Attr{slog.String("plugin", pluginName(r.plug)), slog.String("command", strings.Join(r.cmd.Path, " "))}
		if pid := r.pidFor(l.ctx); pid != 0 {
			attrs = append(attrs, slog.Int("pid", pid))
		}
		l.handler = l.base.Handler().WithAttrs(attrs)
	})
	return l.handler
}

// diagnostic is the run's connection's Logf.
func (l *runLog) diagnostic(format string, a ...any) {
	diagnostics(l.emit)(format, a...)
}

func pluginName(p *pluginexec.Plugin) string {
	if p.Name != "" {
		return p.Name
	}
	return filepath.Base(p.Path())
}

// diagnostics makes a connection's Logf that turns each report into a
// record for emit: ERROR for a service's panic, WARN otherwise; the
// message is the report's first line and the rest, a stack, the attribute
// stack.
func diagnostics(emit func(slog.Record)) func(format string, a ...any) {
	return func(format string, a ...any) {
		level := slog.LevelWarn
		for _, x := range a {
			var pe *registry.PanicError
			if err, ok := x.(error); ok && errors.As(err, &pe) {
				level = slog.LevelError
			}
		}
		msg, stack, _ := strings.Cut(fmt.Sprintf(format, a...), "\n")
		r := slog.NewRecord(time.Now(), level, "host: "+strings.TrimPrefix(msg, "host: "), 0)
		r.AddAttrs(slog.String("source", "host"))
		if stack != "" {
			r.AddAttrs(slog.String("stack", stack))
		}
		emit(r)
	}
}

// handle hands r to h if h takes its level.
func handle(ctx context.Context, h slog.Handler, r slog.Record) {
	if h.Enabled(ctx, r.Level) {
		_ = h.Handle(ctx, r)
	}
}
