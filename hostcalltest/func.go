package hostcalltest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// leaveWait is how long Stop gives a plugin to leave on its own once the
// host's stream has ended, before it stops it (as host.Running.Stop does).
const leaveWait = time.Second

// StartFunc runs plugin in the test's process as the main of a plugin that
// serves, given its client, and returns once the plugin serves: the
// in-process equivalent of host.Start for a plugin binary. The host's end
// serves reg on the same connection, two OS pipes, so the plugin's
// services may call the host while they serve the host's calls:
//
//	p := hostcalltest.StartFunc(t, hostReg, func(ctx context.Context, c *service.Client) error {
//		return c.Serve(ctx, kv.Registry(c)) // kv's services call the host through c
//	})
//	var get func(ctx context.Context, key string) (string, error)
//	p.GetService("kv", "get", &get)
//
// plugin must serve (c.Serve) before it returns, or StartFunc fails the
// test. The plugin ends at Stop or cleanup: the host's stream ends, so
// Serve returns nil; ctx is canceled if plugin has not returned a moment
// later. Its error is Stop's.
func StartFunc(t testing.TB, reg *registry.Registry, plugin func(ctx context.Context, c *service.Client) error, opts ...Option) *Plugin {
	t.Helper()
	if reg == nil || plugin == nil {
		t.Fatalf("hostcalltest: StartFunc with a nil registry or func")
	}
	cfg := newConfig(opts)
	p := newPipes(t)
	// The host's end answers the plugin's hello rather than say its own,
	// as host.Bind's connections do: a client without a hello of its own
	// (WithProtocol1) that serves reg is exactly that.
	hostEnd := service.NewClient(p.hostR, p.hostW, service.WithProtocol1(), service.WithServeOptions(cfg.serve...))
	served := make(chan error, 1)
	go func() { served <- hostEnd.Serve(context.Background(), reg) }()

	pluginEnd := service.NewClient(p.pluginR, p.pluginW, cfg.client...)
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan error, 1)
	go func() { returned <- plugin(ctx, pluginEnd) }()

	f := &funcPlugin{host: hostEnd, plugin: pluginEnd, cancel: cancel, returned: returned, served: served}
	if err := f.awaitServing(); err != nil {
		f.stop()
		t.Fatalf("hostcalltest: StartFunc: %v", err)
	}
	return newPlugin(t, hostEnd, f.stop)
}

// funcPlugin is a plugin func run by StartFunc, and the host's end of its
// connection.
type funcPlugin struct {
	host, plugin *service.Client
	cancel       context.CancelFunc
	returned     chan error // the plugin func's error
	served       chan error // the host's Serve's error
	funcErr      error
	funcDone     bool
}

// awaitServing waits until the plugin serves, or its func returns first.
func (f *funcPlugin) awaitServing() error {
	serving := make(chan error, 1)
	go func() { serving <- f.host.AwaitServing(context.Background()) }()
	select {
	case err := <-serving:
		if err == nil {
			return nil
		}
		// The connection ended before the plugin served: the func's
		// error, if it returns, says why.
		if ferr := waitErr(f.returned); ferr != errNoReturn {
			f.funcErr, f.funcDone = ferr, true
			err = errors.Join(ferr, err)
		}
		return errNotServing("the plugin func", err)
	case f.funcErr = <-f.returned:
		f.funcDone = true
		f.plugin.Close() // ends the connection: AwaitServing returns
		<-serving
		return errNotServing("the plugin func", f.funcErr)
	}
}

// stop ends the host's stream, waits for the plugin func (canceling its
// context after leaveWait), then for the host's Serve.
func (f *funcPlugin) stop() error {
	f.host.CloseWrite()
	var errs []error
	if !f.funcDone {
		f.funcErr = f.awaitFunc()
		f.funcDone = true
	}
	errs = append(errs, f.funcErr)
	f.cancel()
	f.plugin.Close() // the host reads the end of the plugin's stream
	if err := waitErr(f.served); err != nil {
		errs = append(errs, fmt.Errorf("the host's Serve: %w", err))
	}
	f.host.Close()
	return errors.Join(errs...)
}

// awaitFunc waits for the plugin func to return: leaveWait on its own,
// then stopWait more once its context is canceled.
func (f *funcPlugin) awaitFunc() error {
	t := time.NewTimer(leaveWait)
	defer t.Stop()
	select {
	case err := <-f.returned:
		return err
	case <-t.C:
	}
	f.cancel()
	if err := waitErr(f.returned); err != errNoReturn {
		return err
	}
	return fmt.Errorf("the plugin func %v after its context was canceled", errNoReturn)
}
