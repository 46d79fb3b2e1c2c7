package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// streamRegistry serves streams of each kind.
func streamRegistry(canceled chan<- string) *registry.Registry {
	reg := registry.New()
	reg.AddService("s", "count", func(ctx context.Context, n int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := 0; i < n; i++ {
				if !yield(i) {
					canceled <- fmt.Sprintf("count stopped at %d, ctx %v", i, ctx.Err())
					return
				}
			}
		}
	})
	reg.AddService("s", "fail", func(n int) (iter.Seq2[string, error], error) {
		if n < 0 {
			return nil, errors.New("negative")
		}
		return func(yield func(string, error) bool) {
			for i := 0; i < n; i++ {
				if !yield(fmt.Sprint(i), nil) {
					return
				}
			}
			yield("", fmt.Errorf("failed after %d: %w", n, errReadOnly))
		}, nil
	})
	reg.AddService("s", "chan", func(ctx context.Context, n int) <-chan string {
		ch := make(chan string)
		go func() {
			defer close(ch)
			for i := 0; i < n; i++ {
				select {
				case ch <- fmt.Sprint(i):
				case <-ctx.Done():
					return
				}
			}
		}()
		return ch
	})
	reg.AddService("s", "bytes", func(n int) io.Reader {
		return io.LimitReader(&pattern{}, int64(n))
	})
	return reg
}

// pattern reads 0, 1, 2, ... 255, 0, ...
type pattern struct{ n int }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.n)
		p.n++
	}
	return len(b), nil
}

func TestStreamsInProcess(t *testing.T) {
	hosttest.CheckGoroutines(t)
	p := hosttest.NewPipes(t)
	canceled := make(chan string, 10)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- host.Serve(ctx, streamRegistry(canceled), p.HostR, p.HostW) }()
	c := service.NewClient(p.PluginR, p.PluginW)
	defer func() {
		c.Close()
		cancel()
		<-served
	}()

	var count func(ctx context.Context, n int) (iter.Seq[int], error)
	if err := c.GetService("s", "count", &count); err != nil {
		t.Fatal(err)
	}
	seq, err := count(ctx, 20000)
	if err != nil {
		t.Fatal(err)
	}
	sum, n := 0, 0
	for v := range seq {
		if v != n {
			t.Fatalf("item %d is %d", n, v)
		}
		sum += v
		n++
	}
	if n != 20000 {
		t.Errorf("got %d items, want 20000", n)
	}
	seq, err = count(ctx, 1000000)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for range seq {
		n++
		if n == 10 {
			break
		}
	}
	select {
	case s := <-canceled:
		t.Log(s)
	case <-time.After(30 * time.Second):
		t.Fatal("breaking out of the loop did not stop the producer")
	}

	var fail func(n int) (iter.Seq2[string, error], error)
	c.GetService("s", "fail", &fail)
	if _, err := fail(-1); err == nil || !errors.Is(err, service.ErrServiceError) {
		t.Errorf("fail(-1) = %v", err)
	}
	seq2, err := fail(3)
	var got []string
	var last error
	for v, err := range seq2 {
		if err != nil {
			last = err
			break
		}
		got = append(got, v)
	}
	if fmt.Sprint(got) != "[0 1 2]" || !errors.Is(last, errReadOnly) {
		t.Errorf("fail(3) = %v then %v", got, last)
	}

	var ch func(ctx context.Context, n int) (<-chan string, error)
	c.GetService("s", "chan", &ch)
	items, err := ch(ctx, 5)
	got = nil
	for v := range items {
		got = append(got, v)
	}
	if err != nil || fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Errorf("chan(5) = %v, %v", got, err)
	}

	var bs func(n int) (io.ReadCloser, error)
	c.GetService("s", "bytes", &bs)
	r, err := bs(10 << 20)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(r)
	want, _ := io.ReadAll(io.LimitReader(&pattern{}, 10<<20))
	if err != nil || !bytes.Equal(data, want) {
		t.Errorf("bytes(10 MiB): %d bytes, %v", len(data), err)
	}
}

func TestStreamArgumentsInProcess(t *testing.T) {
	hosttest.CheckGoroutines(t)
	p := hosttest.NewPipes(t)
	reg := registry.New()
	reg.AddService("s", "sum", func(ctx context.Context, xs iter.Seq[int]) int {
		n := 0
		for x := range xs {
			n += x
		}
		return n
	})
	reg.AddService("s", "first", func(xs iter.Seq2[string, error], k int) ([]string, error) {
		var out []string
		for x, err := range xs {
			if err != nil {
				return out, err
			}
			if out = append(out, x); len(out) == k {
				break
			}
		}
		return out, nil
	})
	reg.AddService("s", "drain", func(ch <-chan int) int {
		n := 0
		for range ch {
			n++
		}
		return n
	})
	reg.AddService("s", "length", func(r io.Reader) (int64, error) {
		return io.Copy(io.Discard, r)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- host.Serve(ctx, reg, p.HostR, p.HostW) }()
	c := service.NewClient(p.PluginR, p.PluginW)
	defer func() {
		c.Close()
		cancel()
		<-served
	}()
	var sum func(ctx context.Context, xs iter.Seq[int]) (int, error)
	c.GetService("s", "sum", &sum)
	n, err := sum(ctx, func(yield func(int) bool) {
		for i := 1; i <= 100000; i++ {
			if !yield(i) {
				return
			}
		}
	})
	if err != nil || n != 100000*100001/2 {
		t.Errorf("sum = %d, %v", n, err)
	}
	var first func(xs iter.Seq2[string, error], k int) ([]string, error)
	c.GetService("s", "first", &first)
	stopped := make(chan struct{})
	got, err := first(func(yield func(string, error) bool) {
		defer close(stopped)
		for i := 0; ; i++ {
			if !yield(fmt.Sprint(i), nil) {
				return
			}
		}
	}, 3)
	if err != nil || fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("first 3 = %v, %v", got, err)
	}
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the caller's endless stream was not stopped when the service stopped reading")
	}
	var drain func(ch <-chan int) (int, error)
	c.GetService("s", "drain", &drain)
	ch := make(chan int)
	go func() {
		for i := 0; i < 1000; i++ {
			ch <- i
		}
		close(ch)
	}()
	if n, err := drain(ch); n != 1000 || err != nil {
		t.Errorf("drain = %d, %v", n, err)
	}
	var length func(r io.Reader) (int64, error)
	c.GetService("s", "length", &length)
	if n, err := length(io.LimitReader(&pattern{}, 5<<20)); n != 5<<20 || err != nil {
		t.Errorf("length = %d, %v", n, err)
	}
}
