//go:build linux

package python_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"testing"

	"github.com/hostcall/hostcall/internal/hosttest"
)

// Streams both ways between a Go host and testdata/twoway.py (PROTOCOL.md
// section 6, "streams").

// addStreamServices adds the host's stream services for the plugin:
//
//	host.count(ctx, n)     0 ... n-1, then errReadOnly if n is odd; reports an early stop
//	host.blobs(size, n)    n items of size bytes, item i all byte i%256
//	host.reader(n)         an io.Reader of n pattern bytes (byte i is i%256)
//	host.sum(ctx, xs)      the sum of a stream the plugin lends
//	host.firstk(ctx, xs, k) the first k items of a stream the plugin lends
func addStreamServices(h *hostSide) {
	h.reg.AddService("host", "count", func(ctx context.Context, n int) iter.Seq2[int, error] {
		return func(yield func(int, error) bool) {
			for i := 0; i < n; i++ {
				if !yield(i, nil) {
					h.canceled <- fmt.Sprintf("host stream stopped at %d", i)
					return
				}
			}
			if n%2 == 1 {
				yield(0, fmt.Errorf("count %d: %w", n, errReadOnly))
			}
		}
	})
	h.reg.AddService("host", "blobs", func(size, n int) iter.Seq[[]byte] {
		return func(yield func([]byte) bool) {
			for i := 0; i < n; i++ {
				if !yield(fill(size, byte(i))) {
					return
				}
			}
		}
	})
	h.reg.AddService("host", "reader", func(n int) io.Reader {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return bytes.NewReader(b)
	})
	h.reg.AddService("host", "sum", func(ctx context.Context, xs iter.Seq2[int, error]) (int, error) {
		s := 0
		for x, err := range xs {
			if err != nil {
				return 0, err
			}
			s += x
		}
		return s, nil
	})
	h.reg.AddService("host", "firstk", func(ctx context.Context, xs iter.Seq2[int, error], k int) ([]int, error) {
		var out []int
		for x, err := range xs {
			if err != nil {
				return nil, err
			}
			if len(out) == k {
				break
			}
			out = append(out, x)
		}
		return out, nil
	})
}

func fill(n int, b byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// TestPythonStreamsProduced: the host consumes streams the plugin's
// generators and files produce.
func TestPythonStreamsProduced(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	addStreamServices(h)
	ctx, p := start(t, h)

	count := get[func(ctx context.Context, n int) (iter.Seq2[int, error], error)](t, p, "st", "count")
	const many = 100000
	xs, err := count(ctx, many)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for x, err := range xs {
		if err != nil {
			t.Fatalf("count(%d): item %d: %v", many, got, err)
		}
		if x != got {
			t.Fatalf("count(%d): item %d is %d", many, got, x)
		}
		got++
	}
	if got != many {
		t.Errorf("count(%d) gave %d items", many, got)
	}

	// An exception ends the stream after the items that went before, with
	// its registered code.
	xs, err = count(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	var items []int
	var end error
	for x, err := range xs {
		if err != nil {
			end = err
			break
		}
		items = append(items, x)
	}
	if fmt.Sprint(items) != "[0 1 2]" || !errors.Is(end, errNotFound) || !strings.Contains(end.Error(), "count 3") {
		t.Errorf("count(3) = %v then %v; want [0 1 2] then the plugin's NotFound", items, end)
	}

	// Breaking early cancels the plugin's generator, which sees its
	// context canceled.
	endless := get[func(ctx context.Context, size int) (iter.Seq[[]byte], error)](t, p, "st", "endless")
	ys, err := endless(ctx, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for y := range ys {
		if len(y) != 100000 || y[0] != 'y' {
			t.Fatalf("endless item %d is %d bytes", n, len(y))
		}
		if n++; n == 30 { // past the first window (1 MiB)
			break
		}
	}
	if why := recv(t, ctx, h.canceled); why != "plugin stream stopped: canceled" {
		t.Errorf("the plugin's stream reported %q", why)
	}

	// A file travels in chunks of bytes: 5 MiB, over several windows of
	// credit, counted exactly on both ends or it stalls.
	data := get[func(ctx context.Context, n int) (io.ReadCloser, error)](t, p, "st", "data")
	const size = 5<<20 + 77
	r, err := data(ctx, size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || len(b) != size {
		t.Fatalf("data(%d): %d bytes, %v", size, len(b), err)
	}
	for i := range b {
		if b[i] != byte(i) {
			t.Fatalf("data: byte %d is %d", i, b[i])
		}
	}

	// The plugin relays a stream of the host's as its own.
	relay := get[func(ctx context.Context, n int) (iter.Seq2[int, error], error)](t, p, "st", "relay")
	xs, err = relay(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	items, end = nil, nil
	for x, err := range xs {
		if err != nil {
			end = err
			break
		}
		items = append(items, x)
	}
	if fmt.Sprint(items) != "[0 1 2 3 4]" || !errors.Is(end, errReadOnly) {
		t.Errorf("relay(5) = %v then %v; want [0 1 2 3 4] then the host's errReadOnly, its code kept", items, end)
	}
}

// TestPythonStreamsConsumed: the plugin consumes the host's streams.
func TestPythonStreamsConsumed(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	addStreamServices(h)
	ctx, p := start(t, h)

	pull := get[func(ctx context.Context, n int) (int, error)](t, p, "st", "pull")
	if n, err := pull(ctx, 100000); n != 100000 || err != nil {
		t.Errorf("pull(100000) = %d, %v", n, err)
	}
	// The host's stream error reaches the plugin, which passes it on.
	if _, err := pull(ctx, 7); !errors.Is(err, errReadOnly) {
		t.Errorf("pull(7): %v, want the host's errReadOnly", err)
	}
	// 5 MiB of blobs: the plugin's credit keeps the host going.
	total := get[func(ctx context.Context, size, n int) (int, error)](t, p, "st", "total")
	if n, err := total(ctx, 64<<10, 80); n != 80*64<<10 || err != nil {
		t.Errorf("total(64 KiB, 80) = %d, %v", n, err)
	}
	// An io.Reader: chunks of at most 64 KiB, the last one small (base64).
	readall := get[func(ctx context.Context, n int) (int, error)](t, p, "st", "readall")
	if n, err := readall(ctx, 1<<20+100); n != 1<<20+100 || err != nil {
		t.Errorf("readall(1 MiB + 100) = %d, %v", n, err)
	}
	// The plugin leaves early: the host's producer stops.
	first := get[func(ctx context.Context, n, k int) ([]int, error)](t, p, "st", "first")
	if got, err := first(ctx, 1000000, 3); fmt.Sprint(got) != "[0 1 2]" || err != nil {
		t.Errorf("first(1000000, 3) = %v, %v", got, err)
	}
	if why := recv(t, ctx, h.canceled); !strings.HasPrefix(why, "host stream stopped at ") {
		t.Errorf("the host's stream reported %q", why)
	}
}

// TestPythonStreamArguments: streams passed as arguments, both ways.
func TestPythonStreamArguments(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	addStreamServices(h)
	ctx, p := start(t, h)

	send := get[func(ctx context.Context, n, k int) (int, bool, error)](t, p, "st", "send")
	if s, closed, err := send(ctx, 100000, -1); s != 4999950000 || !closed || err != nil {
		t.Errorf("send(100000) = %v, %v, %v; want the host's sum of the plugin's stream", s, closed, err)
	}
	// The host breaks early: the plugin's generator is closed.
	sendFirst := get[func(ctx context.Context, n, k int) ([]int, bool, error)](t, p, "st", "send")
	if s, closed, err := sendFirst(ctx, 1000000, 2); fmt.Sprint(s) != "[0 1]" || !closed || err != nil {
		t.Errorf("send(1000000, k=2) = %v, %v, %v; want [0 1] and the generator closed", s, closed, err)
	}
	// The host passes a stream: the plugin gets a Callback that opens it.
	take := get[func(ctx context.Context, xs iter.Seq[int]) (int, error)](t, p, "st", "take")
	seq := func(yield func(int) bool) {
		for i := 1; i <= 1000; i++ {
			if !yield(i) {
				return
			}
		}
	}
	if s, err := take(ctx, seq); s != 500500 || err != nil {
		t.Errorf("take(1..1000) = %d, %v", s, err)
	}
}
