package host

import (
	"context"
	"sync"

	"github.com/hostcall/hostcall/pluginexec"
)

// Caller is the plugin run a served call came from.
type Caller struct {
	// Plugin is the plugin: its name (Plugin.Name, from its manifest) and
	// the path it was run by (Plugin.Path()).
	Plugin *pluginexec.Plugin
	// Command is the command that was run.
	Command *pluginexec.Command
	// PID is the id of the process the executor started for the run: the
	// plugin's, with DefaultExecutor or an Executor that hands it the
	// Process; for a plugin run by a container runtime's client (docker
	// run), that client's. It is 0 when the executor did not report the
	// start (pluginexec.WithStartHook).
	PID int
}

// CallerFromContext returns the plugin run that the call whose context is
// ctx came from, and whether ctx carries one. The calls that Bind's
// built-in transports serve carry their run; so does the context Bind
// gives a BindFunc, whose Serve passes it on with WithCallerFrom. A service
// can use it to answer each plugin in its own way: scope what it may
// reach, log who asked.
func CallerFromContext(ctx context.Context) (Caller, bool) {
	r, ok := ctx.Value(callerKey{}).(*run)
	if !ok {
		return Caller{}, false
	}
	return Caller{Plugin: r.plug, Command: r.cmd, PID: r.pidFor(ctx)}, true
}

// WithCallerFrom makes the calls Serve serves carry the caller that ctx
// carries, for CallerFromContext: a BindFunc passes the context Bind gave
// it, so that its services know the run, its process id included once the
// process has started, and, with WithLogger, so that the connection's
// diagnostics reach the logger. Without a caller in ctx it does nothing.
func WithCallerFrom(ctx context.Context) ServeOption {
	r, ok := ctx.Value(callerKey{}).(*run)
	if !ok {
		return nil
	}
	values := withValues(context.WithValue(context.Background(), callerKey{}, r))
	if r.logs == nil {
		return values
	}
	return func(c *serveConfig) {
		values(c)
		c.Logf = r.logs.diagnostic // WithLogger's
	}
}

// callerKey carries a *run in a context.
type callerKey struct{}

// run is one plugin run that Bind serves: who it is, and its process id
// once the executor has started the process.
type run struct {
	plug *pluginexec.Plugin
	cmd  *pluginexec.Command
	logs *runLog // where the run's records go (WithLogger); nil without

	mu      sync.Mutex
	pid     int
	started chan struct{} // closed once pid is known; nil before the executor starts the process
}

// startHook is the run's pluginexec.StartHook.
func (r *run) startHook() func(pid int) {
	ch := make(chan struct{})
	r.mu.Lock()
	r.pid, r.started = 0, ch
	r.mu.Unlock()
	return func(pid int) {
		r.mu.Lock()
		r.pid = pid
		r.mu.Unlock()
		close(ch)
	}
}

// pidFor returns the run's process id. A call can only come from a
// process that has started, but it may be served before the executor has
// reported the start, which it does as soon as the start returns: a
// process being started is waited for (or until ctx is done).
func (r *run) pidFor(ctx context.Context) int {
	r.mu.Lock()
	ch := r.started
	r.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pid
}
