package engine

import (
	"bytes"
	"context"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// countingReader counts the occurrences of a marker in what it reads (a
// marker is short: one split across two reads is not counted, which the
// test below never needs).
type countingReader struct {
	r      io.Reader
	marker []byte
	n      *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(bytes.Count(p[:n], c.marker)))
	return n, err
}

// The late response to a call its caller gave up on is dropped when both
// ends serve: it is not answered "has no type", which the other end would
// take for the response to a call of its own, and answer in turn, for ever.
func TestLateResponseBetweenServingEnds(t *testing.T) {
	hosttest.CheckGoroutines(t)
	regA, regB := registry.New(), registry.New()
	regA.AddService("calc", "add", func(a, b int) int { return a + b })
	regB.AddService("calc", "add", func(a, b int) int { return 10*a + b })
	regB.AddService("calc", "wait", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	ar, bw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	br, aw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var lateAtA, bounced atomic.Int64
	a := New(countingReader{ar, []byte(`"code":"canceled"`), &lateAtA}, aw, Config{Registry: regA, Hello: true})
	b := New(countingReader{br, []byte("has no type"), &bounced}, bw, Config{Registry: regB, Hello: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range []*Conn{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Serve(ctx, nil)
		}()
	}
	defer func() {
		cancel()
		aw.Close()
		bw.Close()
		wg.Wait()
		ar.Close()
		br.Close()
	}()
	for _, c := range []*Conn{a, b} {
		if err := c.AwaitPeer(ctx, wire.FeatureServe); err != nil {
			t.Fatal(err)
		}
	}
	// A gives up on B's calc.wait: B answers canceled once the cancel frame
	// reaches it, after A's caller has returned.
	cctx, ccancel := context.WithCancel(ctx)
	go func() {
		time.Sleep(50 * time.Millisecond) // any delay will do: the call waits for it
		ccancel()
	}()
	if _, err := a.Call(cctx, "calc.wait", &wire.Request{Type: wire.TypeCall, Namespace: "calc", Name: "wait", Args: []byte("[]")}, nil); err == nil {
		t.Fatal("the canceled call succeeded")
	}
	for lateAtA.Load() == 0 { // until A has read the late response
		if ctx.Err() != nil {
			t.Fatal("the late response never reached A")
		}
		time.Sleep(time.Millisecond)
	}
	// A answered whatever it answers to the late response before it
	// answers this call, on the same stream: B has read it by the end.
	if n, err := callInt(ctx, b, "add", 1, 2); n != 3 || err != nil {
		t.Fatalf("B calls A: %d, %v", n, err)
	}
	if n := bounced.Load(); n != 0 {
		t.Errorf("A answered the late response %d times with \"has no type\"; want it dropped", n)
	}
	if n, err := callInt(ctx, a, "add", 1, 2); n != 12 || err != nil {
		t.Errorf("A calls B after: %d, %v", n, err)
	}
}
