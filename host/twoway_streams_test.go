//go:build linux

package host_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// addStreamServices adds the plugin's stream services:
//
//	st.count(ctx, n)      0 ... n-1, then an error if n is odd
//	st.endless(ctx, size) items of size bytes until canceled; reports its end to the host's report.canceled
//	st.bytes(n)           an io.Reader of n pattern bytes
//	st.mem()              the plugin's VmRSS and VmHWM, in KiB
//	st.pull(ctx, n)       reads the host's host.bytes(n) whole: how many bytes, checked
//	st.sum(ctx, xs)       the sum of a stream the caller sends
func addStreamServices(reg *registry.Registry, c *service.Client) {
	var canceled func(ctx context.Context, where string) error
	c.GetService("report", "canceled", &canceled)
	reg.AddService("st", "count", func(ctx context.Context, n int) iter.Seq2[int, error] {
		return func(yield func(int, error) bool) {
			for i := 0; i < n; i++ {
				if !yield(i, nil) {
					return
				}
			}
			if n%2 == 1 {
				yield(0, fmt.Errorf("count %d: %w", n, errReadOnly))
			}
		}
	})
	reg.AddService("st", "endless", func(ctx context.Context, size int) iter.Seq[[]byte] {
		return func(yield func([]byte) bool) {
			for i := 0; ; i++ {
				if !yield(make([]byte, size)) {
					canceled(context.WithoutCancel(ctx), fmt.Sprintf("plugin stream stopped: %v", ctx.Err()))
					return
				}
			}
		}
	})
	reg.AddService("st", "bytes", func(n int64) io.Reader { return io.LimitReader(&pattern{}, n) })
	reg.AddService("st", "mem", memory)
	reg.AddService("st", "resetPeak", resetPeak)
	var hostBytes func(ctx context.Context, n int64) (io.ReadCloser, error)
	c.GetService("host", "bytes", &hostBytes)
	reg.AddService("st", "pull", func(ctx context.Context, n int64) (int64, error) {
		r, err := hostBytes(ctx, n)
		if err != nil {
			return 0, err
		}
		defer r.Close()
		return checkPattern(r)
	})
	var hostEndless func(ctx context.Context) (iter.Seq[int], error)
	c.GetService("host", "endless", &hostEndless)
	reg.AddService("st", "drain", func(ctx context.Context) (int, error) {
		items, err := hostEndless(ctx)
		if err != nil {
			return 0, err
		}
		n := 0
		for range items {
			n++
		}
		return n, ctx.Err()
	})
	reg.AddService("st", "sum", func(ctx context.Context, xs iter.Seq[int]) int {
		s := 0
		for x := range xs {
			s += x
		}
		return s
	})
}

// resetPeak resets this process's VmHWM to its VmRSS (Linux 4.0 and
// later: clear_refs 5).
func resetPeak() error { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// memory returns this process's VmRSS and VmHWM in KiB.
func memory() (rss, hwm int64, err error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm, sc.Err()
}

// checkPattern reads r to its end and checks that it is the pattern.
func checkPattern(r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		for i := 0; i < k; i++ {
			if buf[i] != byte(n+int64(i)) {
				return n, fmt.Errorf("byte %d is %d, want %d", n+int64(i), buf[i], byte(n+int64(i)))
			}
		}
		n += int64(k)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// startStreamPlugin starts the two-way plugin with the host's stream
// services.
func startStreamPlugin(t *testing.T, ctx context.Context, tr host.BindOption) (*host.Running, *hostSide) {
	t.Helper()
	h := newHostSide()
	h.reg.AddService("host", "bytes", func(n int64) io.Reader { return io.LimitReader(&pattern{}, n) })
	h.reg.AddService("host", "endless", func(ctx context.Context) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := 0; yield(i); i++ {
			}
			h.canceled <- fmt.Sprintf("host stream stopped: %v", context.Cause(ctx))
		}
	})
	opts := []host.BindOption{host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs)}
	if tr != nil {
		opts = append(opts, tr)
	}
	p, err := host.Start(ctx, twoWayPlugin(t), h.reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.plugin.Store(p)
	return p, h
}

func TestStreamsBetweenProcesses(t *testing.T) {
	for name, tr := range twoWayTransports {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			p, h := startStreamPlugin(t, ctx, tr)
			defer p.Stop(ctx)
			var count func(ctx context.Context, n int) (iter.Seq2[int, error], error)
			p.GetService("st", "count", &count)

			// A million items, each checked (fewer under -race: .ci/run
			// runs this test at full size without it).
			want := 1000000
			if raceEnabled {
				want = 100000
			}
			items, err := count(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for v, err := range items {
				if err != nil || v != n {
					t.Fatalf("item %d: %d, %v", n, v, err)
				}
				n++
			}
			if n != want {
				t.Errorf("%d items, want %d", n, want)
			}

			// The producer's error ends the stream, after its items.
			items, _ = count(ctx, 5)
			var got []int
			var last error
			for v, err := range items {
				if err != nil {
					last = err
					break
				}
				got = append(got, v)
			}
			if fmt.Sprint(got) != "[0 1 2 3 4]" || !errors.Is(last, errReadOnly) || !strings.Contains(fmt.Sprint(last), "count 5") {
				t.Errorf("count(5) = %v then %v; want 5 items then the registered error", got, last)
			}

			// Breaking out stops the plugin's producer: its context ends.
			var endless func(ctx context.Context, size int) (iter.Seq[[]byte], error)
			p.GetService("st", "endless", &endless)
			seq, err := endless(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for range seq {
				if k++; k == 10 {
					break
				}
			}
			select {
			case s := <-h.canceled:
				if !strings.Contains(s, "context canceled") {
					t.Errorf("the producer ended with %q", s)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("breaking out after 10 items did not stop the plugin's producer within 30 s")
			}

			// A stream the host sends: the plugin sums it.
			var sum func(ctx context.Context, xs iter.Seq[int]) (int, error)
			p.GetService("st", "sum", &sum)
			if s, err := sum(ctx, func(yield func(int) bool) {
				for i := 1; i <= 1000 && yield(i); i++ {
				}
			}); s != 500500 || err != nil {
				t.Errorf("sum of the host's stream = %d, %v", s, err)
			}
		})
	}
}

// 100 streams at once, and ordinary calls beside them: none waits for
// another.
func TestManyStreamsAndCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, _ := startStreamPlugin(t, ctx, nil)
	defer p.Stop(ctx)
	var count func(ctx context.Context, n int) (iter.Seq2[int, error], error)
	var get func(ctx context.Context, k string) (string, error)
	var put func(ctx context.Context, k, v string) error
	p.GetService("st", "count", &count)
	p.GetService("kv", "get", &get)
	p.GetService("kv", "put", &put)
	// Open 100 streams and read one item of each: all are open at once.
	streams := make([]func() (int, bool), 100)
	for i := range streams {
		items, err := count(ctx, 300)
		if err != nil {
			t.Fatal(err)
		}
		next, stop := iter.Pull2(items)
		defer stop()
		if v, err, ok := next(); !ok || err != nil || v != 0 {
			t.Fatalf("stream %d: first item %d, %v, %v", i, v, err, ok)
		}
		streams[i] = func() (int, bool) {
			v, err, ok := next()
			return v, ok && err == nil
		}
	}
	// Ordinary calls go through while all 100 are open (the plugin serves
	// at most 64 calls at once by default: open streams hold no slot).
	for i := 0; i < 50; i++ {
		if err := put(ctx, fmt.Sprint("k", i), "v"); err != nil {
			t.Fatalf("put while 100 streams are open: %v", err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(streams))
	for i, next := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := 1
			for {
				v, ok := next()
				if !ok {
					break
				}
				if v != want {
					errs <- fmt.Errorf("stream %d: item %d, want %d", i, v, want)
					return
				}
				want++
			}
			if want != 300 {
				errs <- fmt.Errorf("stream %d ended at %d, want 300", i, want)
			}
		}()
	}
	for i := 0; i < 50; i++ {
		if v, err := get(ctx, fmt.Sprint("k", i)); v != "v" || err != nil {
			t.Errorf("get beside 100 streams: %q, %v", v, err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A gibibyte each way through io.Reader streams, with memory bounded by
// the window, not the stream: the plugin's and the host's peak RSS stay
// far below the size moved.
func TestGibibyteReaderBothWays(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, _ := startStreamPlugin(t, ctx, nil)
	defer p.Stop(ctx)
	size := int64(1 << 30)
	if raceEnabled {
		size = 128 << 20 // .ci/run moves the gibibyte without -race
	}
	var bytes func(ctx context.Context, n int64) (io.ReadCloser, error)
	var pull func(ctx context.Context, n int64) (int64, error)
	var mem func(ctx context.Context) (int64, int64, error)
	p.GetService("st", "bytes", &bytes)
	p.GetService("st", "pull", &pull)
	p.GetService("st", "mem", &mem)
	var reset func(ctx context.Context) error
	p.GetService("st", "resetPeak", &reset)
	runtime.GC()
	debug.FreeOSMemory() // what earlier tests left, so that the peak is this test's
	if err := resetPeak(); err != nil {
		t.Fatalf("resetting the peak RSS: %v", err)
	}
	if err := reset(ctx); err != nil {
		t.Fatalf("resetting the plugin's peak RSS: %v", err)
	}
	_, hostBefore, _ := memory()
	_, plugBefore, err := mem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Plugin to host.
	r, err := bytes(ctx, size)
	if err != nil {
		t.Fatal(err)
	}
	n, err := checkPattern(r)
	r.Close()
	if n != size || err != nil {
		t.Fatalf("plugin to host: %d bytes, %v", n, err)
	}
	// Host to plugin.
	if n, err := pull(ctx, size); n != size || err != nil {
		t.Fatalf("host to plugin: %d bytes, %v", n, err)
	}
	_, hostAfter, _ := memory()
	_, plugAfter, err := mem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS growth moving %d MiB each way: host %d KiB (%d -> %d), plugin %d KiB (%d -> %d)",
		size>>20, hostAfter-hostBefore, hostBefore, hostAfter, plugAfter-plugBefore, plugBefore, plugAfter)
	const bound = 96 << 10 // KiB: the window and a few chunks, plus the runtime's slack
	if plugAfter-plugBefore > bound || hostAfter-hostBefore > bound {
		t.Errorf("peak RSS grew by %d KiB (host) and %d KiB (plugin) moving %d MiB each way; want each under %d KiB",
			hostAfter-hostBefore, plugAfter-plugBefore, size>>20, bound)
	}
}

// A consumer that stops reading: the producer waits for credit, and
// neither process's memory grows while it waits.
func TestStalledConsumerKeepsMemoryFlat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, h := startStreamPlugin(t, ctx, nil)
	defer p.Stop(ctx)
	var endless func(ctx context.Context, size int) (iter.Seq[[]byte], error)
	var mem func(ctx context.Context) (int64, int64, error)
	p.GetService("st", "endless", &endless)
	p.GetService("st", "mem", &mem)
	sctx, scancel := context.WithCancel(ctx)
	seq, err := endless(sctx, 4096)
	if err != nil {
		t.Fatal(err)
	}
	next, stop := iter.Pull(seq)
	defer stop()
	for i := 0; i < 10; i++ {
		next()
	}
	// Stop reading; sample both processes while the producer runs into
	// its credit.
	var samples []string
	var plugFirst, plugLast, hostFirst, hostLast int64
	for i := 0; i < 5; i++ {
		time.Sleep(200 * time.Millisecond)
		prss, _, err := mem(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hrss, _, _ := memory()
		if i == 0 {
			plugFirst, hostFirst = prss, hrss
		}
		plugLast, hostLast = prss, hrss
		samples = append(samples, fmt.Sprintf("plugin %d KiB host %d KiB", prss, hrss))
	}
	t.Logf("RSS while the consumer does not read (every 200 ms): %s", strings.Join(samples, "; "))
	if plugLast-plugFirst > 8<<10 || hostLast-hostFirst > 8<<10 {
		t.Errorf("memory grew while the consumer did not read: plugin +%d KiB, host +%d KiB", plugLast-plugFirst, hostLast-hostFirst)
	}
	scancel()
	stop()
	select {
	case <-h.canceled:
	case <-time.After(30 * time.Second):
		t.Fatal("canceling the stalled stream did not stop the producer")
	}
}

// A peer killed mid-stream: the consumer's stream ends with ErrClosed,
// naming the signal; a producer whose consumer dies sees its context end.
func TestStreamPeerKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, _ := startStreamPlugin(t, ctx, nil)
	var count func(ctx context.Context, n int) (iter.Seq2[int, error], error)
	var pid func() (int, error)
	p.GetService("st", "count", &count)
	p.GetService("kv", "pid", &pid)
	n, err := pid()
	if err != nil {
		t.Fatal(err)
	}
	items, err := count(ctx, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	var last error
	for _, err := range items {
		if err != nil {
			last = err
			break
		}
		if k++; k == 1000 {
			syscall.Kill(n, syscall.SIGKILL)
		}
	}
	if !errors.Is(last, service.ErrClosed) {
		t.Errorf("the stream of a plugin killed mid-stream ended with %v, want ErrClosed", last)
	}
	if err := p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait = %v", err)
	}
}

// The consumer killed mid-stream: the host's producer sees its context
// end (the connection ended) and stops.
func TestStreamConsumerKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, h := startStreamPlugin(t, ctx, nil)
	var drain func(ctx context.Context) (int, error)
	var pid func() (int, error)
	p.GetService("st", "drain", &drain)
	p.GetService("kv", "pid", &pid)
	n, err := pid()
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	go func() {
		_, err := drain(ctx)
		res <- err
	}()
	time.Sleep(300 * time.Millisecond) // the plugin consumes the host's stream meanwhile
	syscall.Kill(n, syscall.SIGKILL)
	select {
	case s := <-h.canceled:
		if !strings.HasPrefix(s, "host stream stopped") {
			t.Errorf("the host's producer: %s", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the host's producer outlived its consumer, killed, by 30 s")
	}
	if err := <-res; !errors.Is(err, service.ErrClosed) {
		t.Errorf("the host's call into the killed plugin: %v, want ErrClosed", err)
	}
	p.Wait()
}
