//go:build linux

package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The two-way tests' plugin: the test binary, serving its own registry to
// the host while it calls the host's.
const twoWayEnv = "HOSTCALL_HOST_TWOWAY_PLUGIN"

func init() {
	if os.Getenv(twoWayEnv) == "1" {
		os.Exit(twoWayMain(os.Args[1:]))
	}
}

var twoWayManifest = pluginexec.Manifest{
	Name:    "twoway",
	Version: "1.0.0",
	Commands: []pluginexec.Command{
		{Path: []string{"serve"}, Type: "serve"},          // serves kv until the host closes
		{Path: []string{"stubborn"}, Type: "stubborn"},    // serves, ignores SIGTERM, never leaves
		{Path: []string{"run", "once"}, Type: "run-once"}, // serves while it runs to completion
		{Path: []string{"no", "serve"}, Type: "no-serve"}, // never serves: exits 3
		{Path: []string{"crashloop"}, Type: "crashloop"},  // serves, then exits 7 after 50ms
		{Path: []string{"serveonce"}, Type: "serveonce"},  // serves the first time; run again, never serves
	},
}

// pluginRegistry is what the plugin serves. Its services call the host
// back: kv.put logs the key through audit.log; kv.down goes down through
// host.down; at 0 it waits for its context's end and reports it.
func pluginRegistry(c *service.Client) *registry.Registry {
	reg := registry.New()
	var mu sync.Mutex
	store := map[string]string{}
	var audit func(ctx context.Context, key string) error
	var hostDown func(ctx context.Context, n int) (int, error)
	var canceled func(ctx context.Context, where string) error
	c.GetService("audit", "log", &audit)
	c.GetService("host", "down", &hostDown)
	c.GetService("report", "canceled", &canceled)
	reg.AddService("kv", "put", func(ctx context.Context, k, v string) error {
		if err := audit(ctx, k); err != nil { // a call to the host inside the host's call
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		store[k] = v
		return nil
	})
	reg.AddService("kv", "get", func(k string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		v, ok := store[k]
		if !ok {
			return "", fmt.Errorf("no key %q", k)
		}
		return v, nil
	})
	reg.AddService("kv", "down", func(ctx context.Context, n int) (int, error) {
		if n == 0 {
			<-ctx.Done()
			canceled(context.WithoutCancel(ctx), "plugin")
			return 0, ctx.Err()
		}
		v, err := hostDown(ctx, n-1)
		return v + 1, err
	})
	reg.AddService("kv", "pid", func() int { return os.Getpid() })
	addErrorServices(reg, c)
	addCallbackServices(reg, c)
	addStreamServices(reg, c)
	reg.AddService("kv", "leave", func(ctx context.Context, reason string) error {
		return c.Leave(ctx, reason) // asks the host to stop this plugin
	})
	reg.AddService("kv", "pinghost", func(ctx context.Context) error { return c.Ping(ctx) })
	reg.AddService("kv", "leaveexit", func(ctx context.Context, reason string) error {
		if err := c.Leave(ctx, reason); err != nil {
			return err
		}
		os.Exit(0) // at once, before the host's own follow-up
		return nil
	})
	reg.AddService("kv", "block", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	reg.AddService("kv", "hold", func(ctx context.Context) error {
		if err := audit(ctx, "held"); err != nil { // tells the host it holds a slot
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	})
	return reg
}

func twoWayMain(args []string) int {
	if handled, err := pluginexec.HandleInfo(os.Stdout, args, twoWayManifest); handled {
		if err != nil {
			return 1
		}
		return 0
	}
	c := service.Default()
	ctx := context.Background()
	switch {
	case len(args) > 0 && args[0] == "no":
		return 3
	case len(args) > 0 && args[0] == "stubborn":
		signal.Ignore(syscall.SIGTERM)
		service.Serve(ctx, pluginRegistry(c))
		select {} // never leaves
	case len(args) > 0 && args[0] == "serveonce":
		mark := os.Getenv("HOSTCALL_TWOWAY_MARK") // exists once the first run has served
		if _, err := os.Stat(mark); err == nil {
			time.Sleep(time.Hour) // until the host gives up on it
			return 4
		}
		os.WriteFile(mark, nil, 0o600)
	case len(args) > 0 && args[0] == "crashloop":
		go service.Serve(ctx, pluginRegistry(c))
		time.Sleep(50 * time.Millisecond)
		return 7
	case len(args) > 1 && args[0] == "run":
		go service.Serve(ctx, pluginRegistry(c))
		var wait func() error
		c.GetService("sync", "wait", &wait)
		if err := wait(); err != nil { // until the host has called us
			fmt.Fprintln(os.Stderr, "plugin:", err)
			return 1
		}
		return 0
	}
	if err := service.Serve(ctx, pluginRegistry(c)); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	return 0
}

func twoWayPlugin(t *testing.T) *pluginexec.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pluginexec.NewPlugin(context.Background(), exe, pluginexec.WithEnv(twoWayEnv+"=1"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var twoWayEnvs = pluginexec.WithEnv(twoWayEnv+"=1", "GORACE=atexit_sleep_ms=0")

// hostSide is the host's registry for the two-way plugin, with what its
// services saw.
type hostSide struct {
	reg      *registry.Registry
	plugin   atomic.Pointer[host.Running]
	audited  chan string
	canceled chan string
}

func newHostSide() *hostSide {
	h := &hostSide{reg: registry.New(), audited: make(chan string, 100), canceled: make(chan string, 10)}
	h.reg.AddService("audit", "log", func(k string) { h.audited <- k })
	h.reg.AddService("report", "canceled", func(where string) { h.canceled <- where })
	h.reg.AddService("host", "down", func(ctx context.Context, n int) (int, error) {
		if n == 0 {
			<-ctx.Done()
			h.canceled <- "host"
			return 0, ctx.Err()
		}
		var down func(context.Context, int) (int, error)
		if err := h.plugin.Load().GetService("kv", "down", &down); err != nil {
			return 0, err
		}
		v, err := down(ctx, n-1) // the host calls the plugin inside the plugin's call
		return v + 1, err
	})
	return h
}

var twoWayTransports = map[string]host.BindOption{
	"procfs":    host.WithAnonymousPipe(),
	"inherited": host.WithInheritedPipes(),
}

func TestStartCallsThePlugin(t *testing.T) {
	hosttest.CheckGoroutines(t)
	plug := twoWayPlugin(t)
	transports := map[string]host.BindOption{}
	for k, v := range twoWayTransports {
		transports[k] = v
	}
	dir := t.TempDir()
	transports["named"] = host.WithNamedPipes(dir, dir)
	for name, tr := range transports {
		t.Run(name, func(t *testing.T) {
			h := newHostSide()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a watchdog
			defer cancel()
			p, err := host.Start(ctx, plug, h.reg, tr, host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs))
			if err != nil {
				t.Fatal(err)
			}
			h.plugin.Store(p)
			var put func(ctx context.Context, k, v string) error
			var get func(ctx context.Context, k string) (string, error)
			if err := p.GetService("kv", "put", &put); err != nil {
				t.Fatal(err)
			}
			if err := p.GetService("kv", "get", &get); err != nil {
				t.Fatal(err)
			}
			if err := put(ctx, "a", "1"); err != nil {
				t.Fatalf("put: %v", err)
			}
			if k := <-h.audited; k != "a" {
				t.Errorf("the plugin's call back to the host logged %q, want a", k)
			}
			if v, err := get(ctx, "a"); v != "1" || err != nil {
				t.Errorf("get(a) = %q, %v; want 1", v, err)
			}
			if _, err := get(ctx, "nope"); err == nil || !strings.Contains(err.Error(), `no key "nope"`) || !errors.Is(err, service.ErrServiceError) {
				t.Errorf("get(nope) = %v; want the plugin's own error, a service error", err)
			}
			// Nested both ways, 6 deep: host -> plugin -> host -> ...
			var down func(ctx context.Context, n int) (int, error)
			p.GetService("kv", "down", &down)
			dctx, dcancel := context.WithCancel(ctx)
			res := make(chan error, 1)
			go func() {
				_, err := down(dctx, 6)
				res <- err
			}()
			time.Sleep(200 * time.Millisecond) // let it get to the bottom
			dcancel()
			if err := <-res; !errors.Is(err, context.Canceled) {
				t.Errorf("the canceled outer call returned %v", err)
			}
			select {
			case where := <-h.canceled:
				if where != "plugin" {
					t.Errorf("innermost service canceled in %s, want the plugin (depth 6)", where)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the cancel of the outer call did not reach the innermost service, 6 calls down")
			}
			if err := p.Stop(ctx); err != nil {
				t.Errorf("Stop of a plugin that leaves when the host closes: %v, want nil", err)
			}
		})
	}
}

func TestNestedCallsBothWays(t *testing.T) {
	plug := twoWayPlugin(t)
	h := newHostSide()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The plugin calls first: it is the one that reached host.down.
	h.reg.AddService("sync", "wait", func(ctx context.Context) error { return nil })
	p, err := host.Start(ctx, plug, h.reg, host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	h.plugin.Store(p)
	var down func(ctx context.Context, n int) (int, error)
	p.GetService("kv", "down", &down)
	// depth 3 each way ends at a service that waits: bound it with a deadline.
	dctx, dcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer dcancel()
	if _, err := down(dctx, 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("down(5) with a deadline: %v", err)
	}
	if where := <-h.canceled; where != "host" {
		t.Errorf("innermost (depth 5) canceled in %s, want the host", where)
	}
}

func TestPluginKilledFailsHostCalls(t *testing.T) {
	plug := twoWayPlugin(t)
	h := newHostSide()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := host.Start(ctx, plug, h.reg, host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs))
	if err != nil {
		t.Fatal(err)
	}
	var pid func() (int, error)
	var block func(ctx context.Context) error
	p.GetService("kv", "pid", &pid)
	p.GetService("kv", "block", &block)
	n, err := pid()
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func() { errs <- block(ctx) }()
	}
	time.Sleep(100 * time.Millisecond)
	syscall.Kill(n, syscall.SIGKILL)
	for i := 0; i < 20; i++ {
		select {
		case err := <-errs:
			if !errors.Is(err, service.ErrClosed) || !strings.Contains(err.Error(), "killed") || !strings.Contains(err.Error(), "serve") {
				t.Fatalf("pending call after SIGKILL: %v; want ErrClosed naming the plugin and the signal", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("pending host calls outlived the plugin")
		}
	}
	if err := p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait = %v, want the plugin's death by SIGKILL", err)
	}
}

func TestStopStubbornPlugin(t *testing.T) {
	plug := twoWayPlugin(t)
	h := newHostSide()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := host.Start(ctx, plug, h.reg, host.WithCommand("stubborn"),
		host.WithExecOptions(twoWayEnvs, pluginexec.WithGracePeriod(200*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	err = p.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop of a plugin ignoring SIGTERM = %v, want it killed", err)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}

func TestStartPluginThatDoesNotServe(t *testing.T) {
	plug := twoWayPlugin(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := host.Start(ctx, plug, registry.New(), host.WithCommand("no", "serve"), host.WithExecOptions(twoWayEnvs))
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Start of a plugin that exits 3 = %v, want an error with its exit status", err)
	}
	if _, err := host.Start(ctx, plug, registry.New(), host.WithExecOptions(twoWayEnvs)); err == nil || !strings.Contains(err.Error(), "WithCommand") {
		t.Errorf("Start without a command of a plugin with several = %v", err)
	}
}

// A plugin run to completion through Exec is called by the host while it
// runs: OnConnect hands the host each run's client.
func TestOnConnectCallsARunningPlugin(t *testing.T) {
	plug := twoWayPlugin(t)
	h := newHostSide()
	called := make(chan struct{})
	h.reg.AddService("sync", "wait", func(ctx context.Context) error {
		select {
		case <-called:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for name, tr := range twoWayTransports {
		t.Run(name, func(t *testing.T) {
			called = make(chan struct{})
			var got string
			var callErr error
			var returned atomic.Bool
			onConnect := host.OnConnect(func(ctx context.Context, c *service.Client) {
				defer func() {
					<-ctx.Done() // the run's end
					time.Sleep(50 * time.Millisecond)
					returned.Store(true)
				}()
				defer close(called)
				if err := c.AwaitServing(ctx); err != nil {
					callErr = err
					return
				}
				caller, _ := host.CallerFromContext(ctx)
				var put func(ctx context.Context, k, v string) error
				var get func(ctx context.Context, k string) (string, error)
				c.GetService("kv", "put", &put)
				c.GetService("kv", "get", &get)
				if callErr = put(ctx, "who", strings.Join(caller.Command.Path, " ")); callErr == nil {
					got, callErr = get(ctx, "who")
				}
			})
			one := pluginexec.ExecIterator(func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) {
				for i := range plug.Commands {
					if plug.Commands[i].Type == "run-once" {
						yield(plug, &plug.Commands[i])
					}
				}
			})
			if err := pluginexec.Exec(ctx, one, nil, host.Bind(h.reg, tr, onConnect), twoWayEnvs); err != nil {
				t.Fatal(err)
			}
			if !returned.Load() {
				t.Error("Exec returned before the run's OnConnect func did")
			}
			if callErr != nil || got != "run once" {
				t.Errorf("the host's calls into the running plugin: %q, %v", got, callErr)
			}
		})
	}
}
