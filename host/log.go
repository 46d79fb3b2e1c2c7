package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
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

	// The batches that may arrive twice, as a call and as stderr lines
	// (see service.LogHandler): the last ones received as calls, and those
	// whose stderr copy was handed on.
	mu     sync.Mutex
	calls  [64]uint64
	next   int
	copies map[uint64]bool
}

// bindLogged runs a Bind's run with logs: the log namespace in a layer over
// reg, stderr turned into records, diagnostics through WithCallerFrom.
func bindLogged(ctx context.Context, l *slog.Logger, r *run, reg *registry.Registry,
	next func(context.Context, ...pluginexec.ExecOption) error,
	bind func(context.Context, *registry.Registry, func(context.Context, ...pluginexec.ExecOption) error) error) error {
	rl := &runLog{base: l, run: r, ctx: ctx}
	r.logs = rl
	stderr := newStderrLog(rl.emitStderr)
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

// write is the service hostcall.log.write: it hands each record of batch
// number batch to the logger, unless the batch's stderr copy came first. A
// record that does not decode is reported, with its start, in a WARN
// record of the host's.
func (l *runLog) write(ctx context.Context, batch uint64, records []json.RawMessage) {
	if batch != 0 && !l.takeCall(batch) {
		return
	}
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

// emitStderr hands on a record of the run's stderr, but for one of a batch
// that arrived as a call: the stderr copy of a batch whose call failed
// carries the batch's number.
func (l *runLog) emitStderr(r slog.Record) {
	if batch, rest, ok := batchOf(r); ok {
		if !l.takeCopy(batch) {
			return
		}
		r = rest
	}
	l.emit(r)
}

// takeCall reports whether the batch that arrived as a call is new, and
// notes it.
func (l *runLog) takeCall(batch uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.copies[batch] {
		return false
	}
	l.calls[l.next] = batch
	l.next = (l.next + 1) % len(l.calls)
	return true
}

// takeCopy reports whether a record of the stderr copy of a batch is to be
// handed on: the batch did not arrive as a call. A batch failed as the
// connection ended, so it is among the last calls if it arrived.
func (l *runLog) takeCopy(batch uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if slices.Contains(l.calls[:], batch) {
		return false
	}
	if l.copies == nil {
		l.copies = map[uint64]bool{}
	}
	l.copies[batch] = true
	return true
}

// batchOf returns the batch number a record of stderr carries as its last
// attribute, logrec.BatchKey, and the record without it.
func batchOf(r slog.Record) (uint64, slog.Record, bool) {
	var attrs []slog.Attr
	var batch uint64
	r.Attrs(func(a slog.Attr) bool {
		switch v := a.Value; {
		case a.Key == logrec.BatchKey && v.Kind() == slog.KindInt64 && v.Int64() > 0:
			batch = uint64(v.Int64())
		case a.Key == logrec.BatchKey && v.Kind() == slog.KindUint64:
			batch = v.Uint64()
		default:
			attrs = append(attrs, a)
		}
		return true
	})
	if batch == 0 {
		return 0, r, false
	}
	rest := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	rest.AddAttrs(attrs...)
	return batch, rest, true
}

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
