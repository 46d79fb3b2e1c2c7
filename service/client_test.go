package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/hostcalltest"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// connect serves reg in-process on fresh OS pipes and returns a client on
// them, checking for leaks. At cleanup the client is closed and Serve must
// return, without an error.
func connect(t *testing.T, reg *registry.Registry, opts ...service.ClientOption) *service.Client {
	return connectServe(t, reg, nil, opts...)
}

// connectServe is connect with options for the host's Serve.
func connectServe(t *testing.T, reg *registry.Registry, serve []host.ServeOption, opts ...service.ClientOption) *service.Client {
	t.Helper()
	hostcalltest.CheckLeaks(t)
	return hostcalltest.NewClient(t, reg, hostcalltest.WithServeOptions(serve...), hostcalltest.WithClientOptions(opts...))
}

func TestConcurrentCallsMatchTheirCallers(t *testing.T) {
	reg := registry.New()
	reg.AddService("t", "echo", func(s string, n int) (string, int) { return strings.ToUpper(s), n * 2 })
	c := connect(t, reg)
	var echo func(string, int) (string, int, error)
	if err := c.GetService("t", "echo", &echo); err != nil {
		t.Fatal(err)
	}
	const goroutines, calls = 64, 1000
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				s, n, err := echo(fmt.Sprintf("g%d-c%d", g, i), g*calls+i)
				want := fmt.Sprintf("G%d-C%d", g, i)
				if err != nil || s != want || n != 2*(g*calls+i) {
					errs <- fmt.Errorf("goroutine %d call %d: got (%q, %d, %v), want (%q, %d, nil)", g, i, s, n, err, want, 2*(g*calls+i))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCancelReachesTheService(t *testing.T) {
	seen := make(chan error, 1)
	started := make(chan struct{})
	reg := registry.New()
	reg.AddService("t", "block", func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		seen <- ctx.Err()
		return ctx.Err()
	})
	c := connect(t, reg)
	<-service.HelloAnswered(c)
	var block func(context.Context) error
	c.GetService("t", "block", &block)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- block(ctx) }()
	waitFor(t, started, "the service to start")
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) || !errors.Is(err, service.ErrCanceled) {
			t.Errorf("call returned %v, want an error wrapping context.Canceled and ErrCanceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not return 5s after its context was canceled")
	}
	select {
	case err := <-seen:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the service's context ended with %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the service's context was not canceled within 5s")
	}
}

func TestDeadlineReachesTheService(t *testing.T) {
	type seenCtx struct {
		hasDeadline bool
		err         error
	}
	seen := make(chan seenCtx, 1)
	reg := registry.New()
	reg.AddService("t", "block", func(ctx context.Context) error {
		_, ok := ctx.Deadline()
		<-ctx.Done()
		seen <- seenCtx{ok, ctx.Err()}
		return ctx.Err()
	})
	c := connect(t, reg)
	<-service.HelloAnswered(c)
	var block func(context.Context) error
	c.GetService("t", "block", &block)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := block(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, service.ErrDeadlineExceeded) {
		t.Errorf("call returned %v, want an error wrapping context.DeadlineExceeded", err)
	}
	select {
	case s := <-seen:
		if !s.hasDeadline || !errors.Is(s.err, context.DeadlineExceeded) {
			t.Errorf("service saw deadline=%v err=%v, want a deadline and DeadlineExceeded", s.hasDeadline, s.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the service's context did not expire within 5s")
	}
}

func TestHostGoneFailsPendingCallsWithErrClosed(t *testing.T) {
	hosttest.CheckGoroutines(t)
	release := make(chan struct{})
	defer close(release)
	reg := registry.New()
	started := make(chan struct{}, 10)
	reg.AddService("t", "block", func() { started <- struct{}{}; <-release })
	p := hosttest.NewPipes(t)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- host.Serve(ctx, reg, p.HostR, p.HostW, host.WithDrainTimeout(50*time.Millisecond)) }()
	c := service.NewClient(p.PluginR, p.PluginW)
	defer c.Close()
	var block func() error
	c.GetService("t", "block", &block)
	res := make(chan error, 10)
	for i := 0; i < 10; i++ {
		go func() { res <- block() }()
	}
	for i := 0; i < 10; i++ {
		waitFor(t, started, "the calls to start")
	}
	// The host goes away: its ends of the pipes close.
	p.HostW.Close()
	p.HostR.Close()
	gone := time.Now()
	for i := 0; i < 10; i++ {
		select {
		case err := <-res:
			if !errors.Is(err, service.ErrClosed) {
				t.Errorf("pending call returned %v, want ErrClosed", err)
			}
		case <-time.After(time.Second):
			t.Fatalf("only %d of 10 pending calls failed within 1s of the host going away", i)
		}
	}
	t.Logf("10 pending calls failed %v after the host went away", time.Since(gone))
	if err := block(); !errors.Is(err, service.ErrClosed) {
		t.Errorf("a call after the host went away returned %v, want ErrClosed", err)
	}
	stop()
	<-served
}

func TestCloseFailsPendingAndLaterCalls(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	reg := registry.New()
	started := make(chan struct{})
	reg.AddService("t", "block", func() { close(started); <-release })
	c := connect(t, reg)
	var block func() error
	c.GetService("t", "block", &block)
	res := make(chan error, 1)
	go func() { res <- block() }()
	waitFor(t, started, "the call to start")
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case err := <-res:
		if !errors.Is(err, service.ErrClosed) {
			t.Errorf("pending call returned %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending call did not fail within 5s of Close")
	}
	if err := block(); !errors.Is(err, service.ErrClosed) {
		t.Errorf("call after Close returned %v, want ErrClosed", err)
	}
}

func TestProtocol1ClientAgainstOurHost(t *testing.T) {
	c := connect(t, hosttest.Registry(), service.WithProtocol1())
	var add func(context.Context, int, int) (int, error)
	c.GetService("calc", "add", &add)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if n, err := add(ctx, 2, 3); n != 5 || err != nil {
		t.Fatalf("add = %d, %v", n, err)
	}
	if c.Protocol() != 1 {
		t.Errorf("Protocol() = %d, want 1", c.Protocol())
	}
}

func TestErrorsAcrossTheBoundary(t *testing.T) {
	c := connect(t, hosttest.Registry())
	var div func(float64, float64) (float64, error)
	c.GetService("calc", "div", &div)
	_, err := div(1, 0)
	var re *service.RemoteError
	if !errors.As(err, &re) || re.Message != "division by zero" || re.Code != "service_error" ||
		re.Namespace != "calc" || re.Name != "div" || !errors.Is(err, service.ErrServiceError) {
		t.Errorf("div(1, 0) = %#v, want RemoteError{service_error, calc, div, division by zero}", err)
	}
	var nope func() error
	c.GetService("calc", "nope", &nope)
	if err := nope(); !errors.Is(err, service.ErrUnknownService) {
		t.Errorf("nope() = %v, want ErrUnknownService", err)
	}
	var add func(string) (int, error)
	c.GetService("calc", "add", &add)
	if _, err := add("x"); !errors.Is(err, service.ErrBadArguments) || !strings.Contains(err.Error(), "argument 0 (int)") {
		t.Errorf("add(\"x\") = %v, want ErrBadArguments naming argument 0", err)
	}
	var add1 func(int) (int, error)
	c.GetService("calc", "add", &add1)
	if _, err := add1(1); !errors.Is(err, service.ErrBadArguments) || !strings.Contains(err.Error(), "takes 2 arguments, got 1") {
		t.Errorf("add(1) = %v, want ErrBadArguments naming the arity", err)
	}
	var boom func() error
	c.GetService("calc", "boom", &boom)
	if err := boom(); !errors.Is(err, service.ErrServicePanic) {
		t.Errorf("boom() = %v, want ErrServicePanic", err)
	}
	// and the host still serves
	var add2 func(int, int) (int, error)
	c.GetService("calc", "add", &add2)
	if n, err := add2(1, 1); n != 2 || err != nil {
		t.Errorf("add after a panic = %d, %v", n, err)
	}
}

func TestGetServiceMisuse(t *testing.T) {
	c := connect(t, hosttest.Registry())
	for _, tt := range []struct {
		name string
		arg  any
		want string
	}{
		{"not a pointer", func() error { return nil }, "want a non-nil pointer to a func"},
		{"pointer to non-func", new(int), "want a non-nil pointer to a func"},
		{"nil pointer", (*func() error)(nil), "want a non-nil pointer to a func"},
		{"no error result", new(func() int), "must return error as its last result"},
		{"error not last", new(func() (error, int)), "must return error as its last result"},
		{"chan parameter", new(func(chan int) error), "chan int"},
		{"func result", new(func() (func(), error)), "func()"},
		{"context not first", new(func(int, context.Context) error), "may only be the first parameter"},
		{"interface result", new(func() (fmt.Stringer, error)), "fmt.Stringer"},
		{"complex in a struct", new(func(struct{ C complex64 }) error), "complex64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := c.GetService("calc", "add", tt.arg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"calc", "add"`) {
				t.Errorf("GetService = %v, want an error naming calc.add and saying %q", err, tt.want)
			}
		})
	}
}

func TestNotHosted(t *testing.T) {
	c, err := service.Dial(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var add func(int, int) (int, error)
	c.GetService("calc", "add", &add)
	if _, err := add(1, 2); !errors.Is(err, service.ErrNotHosted) {
		t.Errorf("add on a client that is not hosted = %v, want ErrNotHosted", err)
	}
	if _, err := c.HasNamespace(context.Background(), "calc"); !errors.Is(err, service.ErrNotHosted) {
		t.Errorf("HasNamespace = %v, want ErrNotHosted", err)
	}
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out after 10s waiting for %s", what)
	}
}

// Many callers sending large requests at once, with large responses, to a
// host with a small in-flight bound: every caller may be waiting for room to
// send while the host, its slots full of calls waiting to write, has stopped
// reading. Someone must read meanwhile, or both ends stop.
func TestLargeConcurrentCallsDoNotDeadlock(t *testing.T) {
	reg := registry.New()
	reg.AddService("t", "echo", func(b []byte) []byte { return b })
	c := connectServe(t, reg, []host.ServeOption{host.WithMaxInFlight(2)})
	var echo func([]byte) ([]byte, error)
	c.GetService("t", "echo", &echo)
	const callers, calls, size = 32, 8, 256 << 10
	errs := make(chan error, callers)
	for g := 0; g < callers; g++ {
		go func(g int) {
			payload := bytes.Repeat([]byte{byte(g)}, size)
			for i := 0; i < calls; i++ {
				got, err := echo(payload)
				if err != nil || !bytes.Equal(got, payload) {
					errs <- fmt.Errorf("caller %d call %d: %d bytes, %v", g, i, len(got), err)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < callers; g++ {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("watchdog: %d of %d callers still waiting after 60s: deadlock", callers-g, callers)
		}
	}
}
