package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// Running is a long-lived plugin started by Start: a process that serves
// its own registry to the host (service.Serve) while it calls the host's.
// With WithRestart it stands for the plugin across its restarts: the funcs
// GetService fills call whichever process serves at the time. Its methods
// are safe for concurrent use.
type Running struct {
	name   string
	ctx    context.Context // Start's: its end ends every run
	launch func(ctx context.Context) (*incarnation, error)
	policy *RestartPolicy // nil: no restarts
	logger *slog.Logger   // WithLogger's, told of restarts; may be nil

	stop     chan struct{} // closed by Stop: no restart from then on
	stopOnce sync.Once
	// superCtx bounds a restart's wait for the new run to serve: Stop
	// ends it.
	superCtx context.Context
	superEnd context.CancelFunc
	left     chan struct{} // closed by the plugin's leave notice, under mu

	mu       sync.Mutex
	cur      *incarnation
	reason   string // of the leave notice
	restarts int

	done chan struct{}
	err  error // the plugin's last exit, once done is closed
}

// incarnation is one run of the plugin's process.
type incarnation struct {
	name   string
	client *service.Client
	end    context.CancelFunc // ends the run: SIGTERM, grace period, SIGKILL
	done   chan struct{}
	err    error // the run's error, once done is closed
}

// WithCommand picks the command of the plugin that Start runs, by its path
// words (default: the plugin's only command). Bind ignores it.
func WithCommand(path ...string) BindOption {
	return func(cfg *bindConfig) { cfg.command = path }
}

// WithExecOptions passes options to the pluginexec.Exec that Start runs the
// plugin with (stderr, environment, grace period, executor, credential...).
// Bind ignores it: give them to Exec.
func WithExecOptions(opts ...pluginexec.ExecOption) BindOption {
	return func(cfg *bindConfig) { cfg.exec = append(cfg.exec, opts...) }
}

// startWait bounds how long Stop waits for a plugin to leave on its own
// once its connection is closed, before it signals it.
const startWait = time.Second

// Start starts a plugin command that serves (it calls service.Serve),
// binds reg to it with the transport the options choose (as Bind does:
// procfs, inherited, named pipes, WithBindFunc) and returns once the plugin
// serves, or fails when it exits first. The plugin then runs until Stop,
// until it exits, or until ctx ends, which signals it at once (SIGTERM,
// then SIGKILL after the grace period) where Stop first ends its stream.
//
//	p, err := host.Start(ctx, plug, reg, host.WithCommand("serve"))
//	var get func(ctx context.Context, key string) (string, error)
//	p.GetService("kv", "get", &get)
//	v, err := get(ctx, "a")
//	err = p.Stop(ctx)
func Start(ctx context.Context, plug *pluginexec.Plugin, reg *registry.Registry, opts ...BindOption) (*Running, error) {
	cfg := newBindConfig(opts)
	cmd, err := startCommand(plug, cfg.command)
	if err != nil {
		return nil, err
	}
	r := &Running{
		name:   runName(plug, cmd),
		ctx:    ctx,
		policy: cfg.restart.withDefaults(),
		logger: cfg.logger,
		stop:   make(chan struct{}),
		left:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	r.launch = func(actx context.Context) (*incarnation, error) {
		return r.startRun(actx, plug, cmd, reg, cfg, opts)
	}
	r.superCtx, r.superEnd = context.WithCancel(ctx)
	first, err := r.launch(ctx)
	if err != nil {
		r.superEnd()
		return nil, err
	}
	r.mu.Lock()
	r.cur = first
	left := isClosed(r.left) // a leave notice came as it started
	r.mu.Unlock()
	go r.supervise()
	if left {
		go r.Stop(context.Background())
	}
	return r, nil
}

// startRun starts one run of the plugin and returns once it serves.
// actx bounds the wait for that; the run itself lasts until Start's ctx
// ends or its end is called.
func (r *Running) startRun(actx context.Context, plug *pluginexec.Plugin, cmd *pluginexec.Command, reg *registry.Registry,
	cfg *bindConfig, opts []BindOption) (*incarnation, error) {
	runCtx, end := context.WithCancel(r.ctx)
	inc := &incarnation{name: r.name, end: end, done: make(chan struct{})}
	connected := make(chan *service.Client, 1)
	user := cfg.onConnect // Start's own OnConnect goes last: call the user's too
	own := func(c *bindConfig) {
		c.onLeave = r.leave
		c.onConnect = func(cctx context.Context, client *service.Client) {
			connected <- client
			if user != nil {
				user(cctx, client)
			}
		}
	}
	explain := WithServeOptions(func(c *serveConfig) { c.ExplainEnd = inc.explain })
	bind := Bind(reg, append(opts[:len(opts):len(opts)], explain, own)...)
	one := pluginexec.ExecIterator(func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) { yield(plug, cmd) })
	go func() {
		defer close(inc.done)
		defer end()
		inc.err = pluginexec.Exec(runCtx, one, nil, append(cfg.exec[:len(cfg.exec):len(cfg.exec)], bind)...)
	}()
	if err := inc.awaitServing(actx, connected); err != nil {
		end()
		<-inc.done
		return nil, err
	}
	return inc, nil
}

// awaitServing waits for the connection, then for the plugin's word that
// it serves.
func (inc *incarnation) awaitServing(ctx context.Context, connected <-chan *service.Client) error {
	select {
	case inc.client = <-connected:
	case <-inc.done:
		return fmt.Errorf("host: starting %s: it exited before it connected: %w", inc.name, orExit(inc.err))
	case <-ctx.Done():
		return fmt.Errorf("host: starting %s: %w", inc.name, ctx.Err())
	}
	if err := inc.client.AwaitServing(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("host: starting %s: %w", inc.name, ctx.Err())
		}
		<-inc.done
		return fmt.Errorf("host: starting %s: it exited before it served: %w", inc.name, orExit(inc.err))
	}
	return nil
}

// orExit words a run that ended without an error before it should have.
func orExit(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

func startCommand(plug *pluginexec.Plugin, path []string) (*pluginexec.Command, error) {
	if path == nil {
		if len(plug.Commands) != 1 {
			return nil, fmt.Errorf("host: Start %s: it has %d commands: say which with WithCommand", plug.Path(), len(plug.Commands))
		}
		return &plug.Commands[0], nil
	}
	for i := range plug.Commands {
		if slices.Equal(plug.Commands[i].Path, path) {
			return &plug.Commands[i], nil
		}
	}
	return nil, fmt.Errorf("host: Start %s: no command %q in its manifest", plug.Path(), strings.Join(path, " "))
}

// Client returns the client that calls the plugin's services: the
// current run's, when the plugin is restarted (WithRestart).
func (r *Running) Client() *service.Client { return r.current().client }

func (r *Running) current() *incarnation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// GetService fills *fnPtr with a func that calls service ns.name of the
// plugin, with the rules of service.Client.GetService. When the plugin
// exits with calls pending, they fail with an error matching
// service.ErrClosed that also says how the plugin ended (its exit status or
// signal and the tail of its stderr). A plugin restarted by WithRestart
// serves the func's later calls; calls made while it restarts fail that
// way too, at once.
func (r *Running) GetService(ns, name string, fnPtr any) error {
	return service.GetServiceVia(r.Client, ns, name, fnPtr)
}

// Ping pings the plugin (service.HealthNamespace) and waits for its answer
// or for ctx to end: a plugin that is stopped, stuck without reading, or
// gone fails it, with ctx's error or one matching service.ErrClosed. A
// plugin answers a ping as soon as it reads it, ahead of the calls waiting
// for a slot, whatever its services are doing.
func (r *Running) Ping(ctx context.Context) error { return r.Client().Ping(ctx) }

// explain adds how the plugin ended to a call failed by the end of its
// connection, when the plugin has ended or ends within startWait: the
// connection's ExplainEnd.
func (inc *incarnation) explain(err error) error {
	t := time.NewTimer(startWait)
	defer t.Stop()
	select {
	case <-inc.done:
		return fmt.Errorf("%w; plugin %s: %v", err, inc.name, orExit(inc.err))
	case <-t.C:
		return err
	}
}

// leave takes the plugin's leave notice, on the connection's reader
// before the notice is answered: from then on the supervisor does not
// restart it, even if it exits as soon as it has the answer. The func it
// returns, run once the answer is queued and Bind has closed the host's
// stream, stops the plugin.
func (r *Running) leave(reason string) (after func()) {
	r.mu.Lock()
	first := !isClosed(r.left)
	if first {
		r.reason = reason
		close(r.left)
	}
	started := r.cur != nil // else Start stops it once it has it
	r.mu.Unlock()
	if !first || !started {
		return nil
	}
	return func() { r.Stop(context.Background()) }
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Left is closed once the plugin has sent a leave notice (service.Leave):
// the host then stops it as Stop does, and does not restart it.
func (r *Running) Left() <-chan struct{} { return r.left }

// LeaveReason returns the reason the plugin gave with its leave notice,
// "" before it sent one.
func (r *Running) LeaveReason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// Restarts returns how many times the plugin was restarted (WithRestart).
func (r *Running) Restarts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.restarts
}

// Stop stops the plugin: it ends the host's stream to it (a plugin in
// service.Serve then returns and may exit on its own), waits a moment, then
// sends SIGTERM and, after the grace period, SIGKILL. It returns the
// plugin's exit: nil when it exited with status 0. ctx bounds the wait
// before the signals. A supervised plugin is not restarted from then on;
// stopped while it waits to restart, it returns the exit of its last run.
func (r *Running) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		close(r.stop)
		r.superEnd()
	})
	r.mu.Lock() // after stop is closed: supervise, under mu, sees it or has set cur
	inc := r.cur
	r.mu.Unlock()
	inc.stop(ctx)
	<-r.done
	return r.err
}

// stop ends one run: its stream, a moment to leave, then the signals.
func (inc *incarnation) stop(ctx context.Context) {
	inc.client.CloseWrite()
	t := time.NewTimer(startWait)
	defer t.Stop()
	select {
	case <-inc.done:
	case <-t.C:
	case <-ctx.Done():
	}
	inc.end()
	<-inc.done
}

// Wait waits for the plugin to exit and returns its exit, like Stop. A
// supervised plugin has exited once it is stopped, has left, or has
// crashed more often than its RestartPolicy allows (the error then
// matches ErrRestartLimit).
func (r *Running) Wait() error {
	<-r.done
	return r.err
}

// Done is closed once the plugin has exited (and, supervised, will not be
// restarted).
func (r *Running) Done() <-chan struct{} { return r.done }
