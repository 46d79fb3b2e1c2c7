package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// Running is a long-lived plugin started by Start: a process that serves
// its own registry to the host (service.Serve) while it calls the host's.
// Its methods are safe for concurrent use.
type Running struct {
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
	runCtx, end := context.WithCancel(ctx)
	r := &Running{name: runName(plug, cmd), end: end, done: make(chan struct{})}
	connected := make(chan *service.Client, 1)
	user := cfg.onConnect // Start's own OnConnect goes last: call the user's too
	explain := WithServeOptions(func(c *serveConfig) { c.ExplainEnd = r.explain })
	bind := Bind(reg, append(opts[:len(opts):len(opts)], explain, OnConnect(func(cctx context.Context, c *service.Client) {
		connected <- c
		if user != nil {
			user(cctx, c)
		}
	}))...)
	one := pluginexec.ExecIterator(func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) { yield(plug, cmd) })
	go func() {
		defer close(r.done)
		defer end()
		r.err = pluginexec.Exec(runCtx, one, nil, append(cfg.exec[:len(cfg.exec):len(cfg.exec)], bind)...)
	}()
	if err := r.awaitServing(ctx, connected); err != nil {
		end()
		<-r.done
		return nil, err
	}
	return r, nil
}

// awaitServing waits for the connection, then for the plugin's word that
// it serves.
func (r *Running) awaitServing(ctx context.Context, connected <-chan *service.Client) error {
	select {
	case r.client = <-connected:
	case <-r.done:
		return fmt.Errorf("host: starting %s: it exited before it connected: %w", r.name, orExit(r.err))
	case <-ctx.Done():
		return fmt.Errorf("host: starting %s: %w", r.name, ctx.Err())
	}
	if err := r.client.AwaitServing(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("host: starting %s: %w", r.name, ctx.Err())
		}
		<-r.done
		return fmt.Errorf("host: starting %s: it exited before it served: %w", r.name, orExit(r.err))
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

// Client returns the client that calls the plugin's services.
func (r *Running) Client() *service.Client { return r.client }

// GetService fills *fnPtr with a func that calls service ns.name of the
// plugin, with the rules of service.Client.GetService. When the plugin
// exits with calls pending, they fail with an error matching
// service.ErrClosed that also says how the plugin ended (its exit status or
// signal and the tail of its stderr).
func (r *Running) GetService(ns, name string, fnPtr any) error {
	return r.client.GetService(ns, name, fnPtr)
}

// explain adds how the plugin ended to a call failed by the end of its
// connection, when the plugin has ended or ends within startWait: the
// connection's ExplainEnd.
func (r *Running) explain(err error) error {
	t := time.NewTimer(startWait)
	defer t.Stop()
	select {
	case <-r.done:
		return fmt.Errorf("%w; plugin %s: %v", err, r.name, orExit(r.err))
	case <-t.C:
		return err
	}
}

// Stop stops the plugin: it ends the host's stream to it (a plugin in
// service.Serve then returns and may exit on its own), waits a moment, then
// sends SIGTERM and, after the grace period, SIGKILL. It returns the
// plugin's exit: nil when it exited with status 0. ctx bounds the wait
// before the signals.
func (r *Running) Stop(ctx context.Context) error {
	r.client.CloseWrite()
	t := time.NewTimer(startWait)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
	case <-ctx.Done():
	}
	r.end()
	<-r.done
	return r.err
}

// Wait waits for the plugin to exit and returns its exit, like Stop.
func (r *Running) Wait() error {
	<-r.done
	return r.err
}

// Done is closed once the plugin has exited.
func (r *Running) Done() <-chan struct{} { return r.done }
