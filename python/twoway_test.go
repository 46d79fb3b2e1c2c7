//go:build linux

package python_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The two-way tests run testdata/twoway.py, a Python plugin that serves
// functions, under a Go host: host.Start starts it, the host calls it and
// it calls the host, nested both ways, with cancel, deadlines, registered
// errors and callbacks.

// The contract both ends register (twoway.py registers the same codes).
var (
	errNotFound = errors.New("not found")
	errReadOnly = errors.New("read only")
	_           = registerContractErrors()
)

// conflictError is registered as a type: its fields travel as the detail.
type conflictError struct {
	Key    string
	Holder int
	Tags   []string
}

func (e *conflictError) Error() string { return fmt.Sprintf("%s is held by %d", e.Key, e.Holder) }

func registerContractErrors() bool {
	registry.RegisterError("test.not_found", errNotFound)
	registry.RegisterError("test.read_only", errReadOnly)
	registry.RegisterError("test.conflict", &conflictError{})
	return true
}

// hostSide is the host's registry for the Python plugin, with what its
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
			h.canceled <- "host " + ctx.Err().Error()
			return 0, ctx.Err()
		}
		var down func(context.Context, int) (int, error)
		if err := h.plugin.Load().GetService("kv", "down", &down); err != nil {
			return 0, err
		}
		v, err := down(ctx, n-1) // the host calls the plugin inside the plugin's call
		return v + 1, err
	})
	h.reg.AddService("host", "depth", func(ctx context.Context, n int) (int, error) {
		if n == 0 {
			return 0, nil
		}
		var depth func(context.Context, int) (int, error)
		if err := h.plugin.Load().GetService("kv", "depth", &depth); err != nil {
			return 0, err
		}
		v, err := depth(ctx, n-1)
		return v + 1, err
	})
	h.reg.AddService("errs", "fail", func(kind string) error {
		switch kind {
		case "not-found":
			return fmt.Errorf("find %q: %w", "k", errNotFound)
		case "conflict":
			return fmt.Errorf("lock: %w", &conflictError{Key: "k", Holder: 42, Tags: []string{"a", "b"}})
		}
		return errors.New("plain: " + kind)
	})
	h.reg.AddService("host", "index", func(ctx context.Context, paths []string, progress func(int) error) error {
		for i := range paths {
			if err := progress(i + 1); err != nil {
				return fmt.Errorf("index %s: %w", paths[i], err)
			}
		}
		return nil
	})
	h.reg.AddService("host", "hang", func(ctx context.Context, f func(context.Context, int) error) error {
		return f(ctx, 0)
	})
	return h
}

// pythonPlugin returns testdata/twoway.py as a plugin, run with the
// package on PYTHONPATH; it skips the test without python3.
func pythonPlugin(t *testing.T) (*pluginexec.Plugin, pluginexec.ExecOption) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("the Python plugin needs python3, which is not on PATH (.ci/run installs it)")
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	env := pluginexec.WithEnv("PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1")
	p, err := pluginexec.NewPlugin(context.Background(), filepath.Join(dir, "testdata", "twoway.py"), env)
	if err != nil {
		t.Fatal(err)
	}
	return p, env
}

// start starts the plugin's command under a minute's watchdog and stops it
// at cleanup.
func start(t *testing.T, h *hostSide, opts ...host.BindOption) (context.Context, *host.Running) {
	t.Helper()
	plug, env := pythonPlugin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a watchdog
	t.Cleanup(cancel)
	opts = append([]host.BindOption{host.WithCommand("serve"), host.WithExecOptions(env)}, opts...)
	p, err := host.Start(ctx, plug, h.reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.plugin.Store(p)
	t.Cleanup(func() { p.Stop(ctx) })
	return ctx, p
}

// recv receives from ch, failing the test when the watchdog ctx ends first.
func recv[T any](t *testing.T, ctx context.Context, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("nothing received before the watchdog: %v", ctx.Err())
		panic("unreachable")
	}
}

func get[F any](t *testing.T, p *host.Running, ns, name string) F {
	t.Helper()
	var f F
	if err := p.GetService(ns, name, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPythonServes(t *testing.T) {
	dir := t.TempDir()
	transports := map[string]host.BindOption{
		"procfs":    host.WithAnonymousPipe(),
		"inherited": host.WithInheritedPipes(),
		"named":     host.WithNamedPipes(dir, dir),
	}
	for name, tr := range transports {
		t.Run(name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			h := newHostSide()
			ctx, p := start(t, h, tr)
			put := get[func(ctx context.Context, k, v string) error](t, p, "kv", "put")
			getKey := get[func(ctx context.Context, k string) (string, error)](t, p, "kv", "get")
			if err := put(ctx, "a", "1"); err != nil {
				t.Fatalf("put: %v", err)
			}
			if k := recv(t, ctx, h.audited); k != "a" {
				t.Errorf("the plugin's call back to the host logged %q, want a", k)
			}
			if v, err := getKey(ctx, "a"); v != "1" || err != nil {
				t.Errorf("get(a) = %q, %v; want 1", v, err)
			}
			_, err := getKey(ctx, "nope")
			if !errors.Is(err, service.ErrServiceError) || err.Error() != `service kv.get: no key "nope"` {
				t.Errorf("get(nope) = %v; want the plugin's exception's message, a service error", err)
			}
			pair := get[func(ctx context.Context) (int, string, error)](t, p, "kv", "pair")
			if n, s, err := pair(ctx); n != 7 || s != "seven" || err != nil {
				t.Errorf("pair() = %d, %q, %v; want a tuple's two results", n, s, err)
			}
			echo := get[func(ctx context.Context, b []byte) ([]byte, error)](t, p, "kv", "echo")
			for _, n := range []int{0, 10, 1 << 20} { // 1 MiB travels as a blob both ways
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(i * 7)
				}
				if got, err := echo(ctx, b); err != nil || !reflect.DeepEqual(got, b) && n > 0 {
					t.Errorf("echo of %d bytes = %d bytes, %v", n, len(got), err)
				}
			}

			// The protocol's errors.
			mul := get[func(ctx context.Context, a, b int) (int, error)](t, p, "kv", "mul")
			if _, err := mul(ctx, 1, 2); !errors.Is(err, service.ErrUnknownService) {
				t.Errorf("kv.mul: %v, want unknown_service", err)
			}
			nope := get[func(ctx context.Context) error](t, p, "nope", "f")
			if err := nope(ctx); !errors.Is(err, service.ErrUnknownNamespace) {
				t.Errorf("nope.f: %v, want unknown_namespace", err)
			}
			badArity := get[func(ctx context.Context, k string) (string, error)](t, p, "kv", "put")
			if _, err := badArity(ctx, "x"); !errors.Is(err, service.ErrBadArguments) || !strings.Contains(err.Error(), "value") {
				t.Errorf("put with one argument: %v, want bad_arguments naming the missing one", err)
			}
			c := p.Client()
			if ok, err := c.HasNamespace(ctx, "kv"); !ok || err != nil {
				t.Errorf("HasNamespace(kv) = %v, %v", ok, err)
			}
			if ok, err := c.HasNamespace(ctx, "nope"); ok || err != nil {
				t.Errorf("HasNamespace(nope) = %v, %v", ok, err)
			}
			names, err := c.ListServices(ctx, "cb")
			if err != nil || strings.Join(names, " ") != "each hang index keep late" {
				t.Errorf("ListServices(cb) = %q, %v", names, err)
			}
			var m struct{ Description string }
			if err := c.GetManifest(ctx, "kv", &m); err != nil || m.Description != "the plugin's own" {
				t.Errorf("GetManifest(kv) = %+v, %v", m, err)
			}
			var none any = "untouched"
			if err := c.GetManifest(ctx, "cb", &none); err != nil || none != "untouched" {
				t.Errorf("GetManifest(cb), a namespace without one, set %v, %v; want null, which leaves it untouched", none, err)
			}
			if err := c.GetManifest(ctx, "nope", &m); !errors.Is(err, service.ErrUnknownNamespace) {
				t.Errorf("GetManifest(nope) = %v", err)
			}

			// Stop closes the host's stream: serve returns, the plugin exits 0.
			if err := p.Stop(ctx); err != nil {
				t.Errorf("Stop of a plugin that leaves when the host closes: %v, want nil", err)
			}
			select {
			case <-p.Done():
			default:
				t.Error("Done not closed after Stop")
			}
		})
	}
}

// A cancel of the host's outer call reaches the Python function at the
// bottom, 6 calls down (host -> plugin -> host -> ...), and a deadline does
// too, each end at the bottom in turn.
func TestPythonNestedCancel(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	ctx, p := start(t, h)
	down := get[func(ctx context.Context, n int) (int, error)](t, p, "kv", "down")
	dctx, dcancel := context.WithCancel(ctx)
	res := make(chan error, 1)
	go func() {
		_, err := down(dctx, 6)
		res <- err
	}()
	time.Sleep(200 * time.Millisecond) // let it get to the bottom; it waits there, whatever the delay
	dcancel()
	if err := recv(t, ctx, res); !errors.Is(err, context.Canceled) {
		t.Errorf("the canceled outer call returned %v", err)
	}
	if where := recv(t, ctx, h.canceled); where != "plugin canceled" {
		t.Errorf("innermost service: %s, want the plugin's canceled (depth 6)", where)
	}

	// The deadline travels down as each call's timeout; which level sees
	// it expire first is a race, and a level that does cancels the calls
	// below it: the innermost service ends past its deadline or canceled,
	// at the right end either way.
	for _, tt := range []struct {
		n    int
		want []string
	}{{5, []string{"host context deadline exceeded", "host context canceled"}}, {4, []string{"plugin deadline_exceeded", "plugin canceled"}}} {
		tctx, tcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		if _, err := down(tctx, tt.n); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("down(%d) with a deadline: %v", tt.n, err)
		}
		tcancel()
		if where := recv(t, ctx, h.canceled); !slices.Contains(tt.want, where) {
			t.Errorf("down(%d): innermost service: %s, want %s", tt.n, where, tt.want)
		}
	}

	depth := get[func(ctx context.Context, n int) (int, error)](t, p, "kv", "depth")
	if n, err := depth(ctx, 9); n != 9 || err != nil {
		t.Errorf("depth(9) = %d, %v", n, err)
	}
}

// Registered errors keep their identity across the connection, both ways,
// and through a relay.
func TestPythonRegisteredErrors(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	ctx, p := start(t, h)
	fail := get[func(ctx context.Context, kind string) error](t, p, "errs", "fail")
	relay := get[func(ctx context.Context, kind string) error](t, p, "errs", "relay")
	check := get[func(ctx context.Context, kind string) (string, error)](t, p, "errs", "check")

	// The plugin's exceptions, at the host.
	err := fail(ctx, "not-found")
	if !errors.Is(err, errNotFound) || !errors.Is(err, service.ErrServiceError) || err.Error() != `service errs.fail: find "k": not found` {
		t.Errorf("the plugin's NotFound at the host: %v", err)
	}
	err = fail(ctx, "conflict")
	var ce *conflictError
	if !errors.As(err, &ce) || ce.Key != "k" || ce.Holder != 42 || strings.Join(ce.Tags, ",") != "a,b" {
		t.Errorf("the plugin's Conflict at the host: %v, fields %+v", err, ce)
	}
	err = fail(ctx, "other")
	if !errors.Is(err, service.ErrServiceError) || errors.Is(err, errNotFound) || err.Error() != "service errs.fail: plain: other" {
		t.Errorf("the plugin's unregistered exception at the host: %v", err)
	}

	// The host's errors, at the plugin.
	for kind, want := range map[string]string{
		"not-found": `not-found service-error code=test.not_found message=find "k": not found`,
		"conflict":  "conflict service-error fields=k,42,a+b code=test.conflict message=lock: k is held by 42",
		"other":     "service-error code=service_error message=plain: other",
	} {
		if got, err := check(ctx, kind); got != want || err != nil {
			t.Errorf("the host's %s error at the plugin:\n got %s, %v\nwant %s", kind, got, err, want)
		}
	}

	// The host's error, passed on by the plugin: it keeps its identity over
	// two hops.
	if err := relay(ctx, "not-found"); !errors.Is(err, errNotFound) {
		t.Errorf("the host's not found relayed by the plugin: %v", err)
	}
	if err := relay(ctx, "conflict"); !errors.As(err, &ce) || ce.Holder != 42 {
		t.Errorf("the host's conflict relayed by the plugin: %v", err)
	}
}

func TestPythonCallbacks(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	ctx, p := start(t, h)

	// The host lends a func, which the Python function calls back.
	each := get[func(ctx context.Context, n int, f func(context.Context, int) (string, error)) ([]string, error)](t, p, "cb", "each")
	got, err := each(ctx, 3, func(_ context.Context, i int) (string, error) { return strings.Repeat("x", i), nil })
	if err != nil || strings.Join(got, ",") != ",x,xx" {
		t.Errorf("each(3) = %q, %v; want the callback's three results", got, err)
	}
	_, err = each(ctx, 3, func(_ context.Context, i int) (string, error) {
		if i == 1 {
			return "", fmt.Errorf("stop at %d: %w", i, errReadOnly)
		}
		return "ok", nil
	})
	if !errors.Is(err, errReadOnly) || !strings.Contains(err.Error(), "stop at 1: read only") {
		t.Errorf("each with a failing callback = %v; want the callback's registered error, through the Python function", err)
	}
	if _, err := each(ctx, 1, nil); !errors.Is(err, service.ErrServiceError) || !strings.Contains(err.Error(), "not callable") {
		t.Errorf("each with a nil func = %v, want the Python function's TypeError", err)
	}

	// The Python function lends a function to the host, which calls it back.
	index := get[func(ctx context.Context, paths []string) ([]int, error)](t, p, "cb", "index")
	seen, err := index(ctx, []string{"a", "b"})
	if err != nil || fmt.Sprint(seen) != "[1 2]" {
		t.Errorf("index(a, b) = %v, %v; want progress 1 and 2", seen, err)
	}
	_, err = index(ctx, []string{"a", "b", "c", "d"})
	if !errors.Is(err, errNotFound) || !strings.Contains(err.Error(), "index c:") || !strings.Contains(err.Error(), "stop at 3") {
		t.Errorf("index of 4 = %v; want the Python callback's NotFound at 3, through the host's service", err)
	}

	// A callback is valid while its call runs; after, ConnectionClosedError,
	// and the host's func is not run.
	keep := get[func(ctx context.Context, f func(int) error) error](t, p, "cb", "keep")
	late := get[func(ctx context.Context) (string, error)](t, p, "cb", "late")
	var calls []int
	if err := keep(ctx, func(i int) error { calls = append(calls, i); return nil }); err != nil {
		t.Fatal(err)
	}
	if s, err := late(ctx); err != nil || !strings.HasPrefix(s, "closed: ") || !strings.Contains(s, "called after its call returned") {
		t.Errorf("a callback called after its call returned: %q, %v", s, err)
	}
	if fmt.Sprint(calls) != "[1]" {
		t.Errorf("the callback ran for %v, want only the call made while its call ran ([1])", calls)
	}

	// Canceling the host's call cancels the host's func running under the
	// Python function (its callback request's cancel frame)...
	cctx, ccancel := context.WithCancel(ctx)
	running := make(chan struct{})
	ended := make(chan error, 1)
	res := make(chan error, 1)
	go func() {
		_, err := each(cctx, 1, func(fctx context.Context, i int) (string, error) {
			close(running)
			select {
			case <-fctx.Done():
				ended <- fctx.Err()
			case <-time.After(30 * time.Second):
				ended <- errors.New("the callback's context outlived its canceled call by 30 s")
			}
			return "", fctx.Err()
		})
		res <- err
	}()
	<-running
	ccancel()
	if err := recv(t, ctx, res); !errors.Is(err, context.Canceled) {
		t.Errorf("the canceled call returned %v", err)
	}
	if err := recv(t, ctx, ended); !errors.Is(err, context.Canceled) {
		t.Errorf("the callback's context: %v, want canceled", err)
	}

	// ... and the Python function the plugin lent, two hops down: the
	// host's cb.hang call -> the plugin calls host.hang with a function ->
	// the host calls it back and waits.
	hang := get[func(ctx context.Context) error](t, p, "cb", "hang")
	hctx, hcancel := context.WithCancel(ctx)
	go func() {
		time.Sleep(200 * time.Millisecond) // let it get to the bottom; it waits there, whatever the delay
		hcancel()
	}()
	if err := hang(hctx); !errors.Is(err, context.Canceled) {
		t.Errorf("the canceled hang returned %v", err)
	}
	if where := recv(t, ctx, h.canceled); where != "callback canceled" {
		t.Errorf("the lent Python function at the bottom: %s, want canceled", where)
	}
}

// With at most 2 calls running at once, nested calls still go down and
// back: a Python function waiting for the host does not hold a worker.
func TestPythonSmallPool(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	ctx, p := start(t, h, host.WithCommand("serve", "small"))
	depth := get[func(ctx context.Context, n int) (int, error)](t, p, "kv", "depth")
	work := get[func(ctx context.Context, ms int) error](t, p, "kv", "work")
	most := get[func(ctx context.Context) (int, error)](t, p, "kv", "most")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 10; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if n, err := depth(ctx, 8); n != 8 || err != nil {
				errs <- fmt.Errorf("depth(8) = %d, %v", n, err)
			}
		}()
		go func() {
			defer wg.Done()
			if err := work(ctx, 20); err != nil {
				errs <- fmt.Errorf("work: %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := most(ctx); err != nil || n < 1 || n > 2 {
		t.Errorf("at most %d calls of work ran at once (%v); want 1 or 2, the pool's size", n, err)
	}
}
