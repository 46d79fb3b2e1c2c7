//go:build linux

package host_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/hostcalltest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// addCallbackServices adds the plugin's services that take callbacks, and
// one that passes a callback to the host:
//
//	cb.each(ctx, n, f)   f(ctx, 0) ... f(ctx, n-1), collected; stops at f's error
//	cb.keep(f)           keeps f past the call's return
//	cb.late()            calls the f cb.keep kept: its error
//	cb.index(ctx, paths) calls the host's host.index with a progress func;
//	                     returns what progress saw
func addCallbackServices(reg *registry.Registry, c *service.Client) {
	var mu sync.Mutex
	var kept func(int) error
	reg.AddService("cb", "each", func(ctx context.Context, n int, f func(context.Context, int) (string, error)) ([]string, error) {
		var out []string
		for i := 0; i < n; i++ {
			s, err := f(ctx, i)
			if err != nil {
				return out, fmt.Errorf("each %d: %w", i, err)
			}
			out = append(out, s)
		}
		return out, nil
	})
	reg.AddService("cb", "keep", func(f func(int) error) error {
		mu.Lock()
		defer mu.Unlock()
		kept = f
		return f(1) // valid while the call runs
	})
	reg.AddService("cb", "late", func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		err := kept(2)
		return fmt.Sprintf("closed=%v %v", errors.Is(err, service.ErrClosed), err), nil
	})
	var index func(ctx context.Context, paths []string, progress func(done int) error) error
	c.GetService("host", "index", &index)
	reg.AddService("cb", "index", func(ctx context.Context, paths []string) ([]int, error) {
		var seen []int
		err := index(ctx, paths, func(done int) error {
			seen = append(seen, done) // the calls come one after the other
			if done == 3 {
				return errNotFound // a registered error, through the callback
			}
			return nil
		})
		return seen, err
	})
}

// hostIndex is the host's host.index: it reports progress after each
// path, and stops at progress's error.
func hostIndex(ctx context.Context, paths []string, progress func(int) error) error {
	for i := range paths {
		if err := progress(i + 1); err != nil {
			return fmt.Errorf("index %s: %w", paths[i], err)
		}
	}
	return nil
}

func TestCallbacksBothWays(t *testing.T) {
	for name, tr := range twoWayTransports {
		t.Run(name, func(t *testing.T) {
			plug := twoWayPlugin(t)
			h := newHostSide()
			h.reg.AddService("host", "index", hostIndex)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			p, err := host.Start(ctx, plug, h.reg, tr, host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Stop(ctx)

			// The host calls the plugin with a callback, which the plugin
			// calls back into the host.
			var each func(ctx context.Context, n int, f func(context.Context, int) (string, error)) ([]string, error)
			if err := p.GetService("cb", "each", &each); err != nil {
				t.Fatal(err)
			}
			got, err := each(ctx, 3, func(_ context.Context, i int) (string, error) { return strings.Repeat("x", i), nil })
			if err != nil || strings.Join(got, ",") != ",x,xx" {
				t.Errorf("each(3) = %q, %v; want the callback's three results", got, err)
			}
			// Its error reaches the service, which returns it wrapped.
			_, err = each(ctx, 3, func(_ context.Context, i int) (string, error) {
				if i == 1 {
					return "", fmt.Errorf("stop at %d: %w", i, errReadOnly)
				}
				return "ok", nil
			})
			if !errors.Is(err, errReadOnly) || !strings.Contains(err.Error(), "each 1:") || !strings.Contains(err.Error(), "stop at 1: read only") {
				t.Errorf("each with a failing callback = %v; want the callback's registered error, wrapped by the service", err)
			}
			// A nil func arrives as nil: this service would panic on it.
			if _, err := each(ctx, 1, nil); !errors.Is(err, service.ErrServicePanic) {
				t.Errorf("each with a nil func = %v, want the plugin's panic", err)
			}

			// The plugin calls the host with a callback: the host's service
			// calls it back into the plugin.
			var index func(ctx context.Context, paths []string) ([]int, error)
			p.GetService("cb", "index", &index)
			seen, err := index(ctx, []string{"a", "b"})
			if err != nil || fmt.Sprint(seen) != "[1 2]" {
				t.Errorf("index(a, b) = %v, %v; want progress 1 and 2", seen, err)
			}
			seen, err = index(ctx, []string{"a", "b", "c", "d"})
			if fmt.Sprint(seen) != "[]" || !errors.Is(err, errNotFound) || !strings.Contains(err.Error(), "index c:") {
				t.Errorf("index of 4 = %v, %v; want the plugin's callback error at 3, not found, through the host's service", seen, err)
			}

			// A callback is valid while its call runs; after, an error
			// matching ErrClosed, and the caller's func is not run.
			var keep func(ctx context.Context, f func(int) error) error
			var late func(ctx context.Context) (string, error)
			p.GetService("cb", "keep", &keep)
			p.GetService("cb", "late", &late)
			var calls []int
			if err := keep(ctx, func(i int) error { calls = append(calls, i); return nil }); err != nil {
				t.Fatal(err)
			}
			if s, err := late(ctx); err != nil || !strings.HasPrefix(s, "closed=true") || !strings.Contains(s, "called after its call returned") {
				t.Errorf("a callback called after its call returned: %q, %v", s, err)
			}
			if fmt.Sprint(calls) != "[1]" {
				t.Errorf("the callback ran for %v, want only the call made while its call ran ([1])", calls)
			}
		})
	}
}

// Canceling the outer call cancels the callback running at the caller,
// through the service's context: the callback's own context ends.
func TestCallbackCanceledWithItsCall(t *testing.T) {
	plug := twoWayPlugin(t)
	h := newHostSide()
	h.reg.AddService("host", "index", hostIndex)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := host.Start(ctx, plug, h.reg, host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	var each func(ctx context.Context, n int, f func(context.Context, int) (string, error)) ([]string, error)
	p.GetService("cb", "each", &each)
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
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Errorf("the canceled call returned %v", err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("the callback's context: %v, want canceled", err)
	}
}

// A peer that does not take callbacks (protocol 1, here a host serving a
// client that said no hello) is never sent one: the call fails before it
// is sent, saying why.
func TestCallbackToAPeerWithoutThem(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	reg := registry.New()
	reg.AddService("host", "index", hostIndex)
	c := hostcalltest.NewClient(t, reg, hostcalltest.WithClientOptions(service.WithProtocol1()))
	ctx := context.Background()
	var index func(ctx context.Context, paths []string, progress func(int) error) error
	if err := c.GetService("host", "index", &index); err != nil {
		t.Fatal(err)
	}
	err := index(ctx, []string{"a"}, func(int) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `does not take callbacks`) || !strings.Contains(err.Error(), "host.index: argument 1") {
		t.Errorf("a callback to a protocol 1 peer: %v", err)
	}
	// A nil func needs no callbacks.
	if err := index(ctx, nil, nil); err != nil {
		t.Errorf("index with a nil func: %v", err)
	}
}

func TestCallbackSignatures(t *testing.T) {
	bad := map[string]any{
		"no error result":    func(f func(int)) {},
		"variadic callback":  func(f func(...int) error) {},
		"callback takes one": func(f func(func() error) error) {},
		"chan in callback":   func(f func(chan int) error) {},
		"func result":        func() func() error { return nil },
		"func in a struct":   func(s struct{ F func() error }) {},
	}
	for name, fn := range bad {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("AddService(%T) did not panic", fn)
				}
			}()
			registry.New().AddService("x", "y", fn)
		})
	}
	ok := []any{
		func(f func(int) error) {},
		func(ctx context.Context, f func(context.Context, string) (int, error), g func() error) error {
			return nil
		},
	}
	for _, fn := range ok {
		registry.New().AddService("x", "y", fn)
	}
	if _, err := registry.CheckConsumer(reflect.TypeOf(func(f func(int) (string, error)) error { return nil })); err != nil {
		t.Errorf("a consumer with a callback parameter: %v", err)
	}
	if _, err := registry.CheckConsumer(reflect.TypeOf(func(f func(int)) error { return nil })); err == nil {
		t.Error("a consumer whose callback returns no error was accepted")
	}
}
