package engine

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/internal/wire"
)

// tee copies what a connection writes into a buffer, for the test to read.
type tee struct {
	w  io.Writer
	mu sync.Mutex
	b  bytes.Buffer
}

func (t *tee) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.b.Write(p)
	t.mu.Unlock()
	return t.w.Write(p)
}

func (t *tee) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

// TestLateAnswerBetweenServingEnds: two ends that both serve (a host and a
// plugin in service.Serve). A's call to B is canceled: A returns at once
// and tells B, whose answer, canceled, comes late and matches no call of
// A's. A drops it. Before, A, serving, answered it bad_request ("frame N
// has no type"), a frame without a type matching no call of B's, which B,
// serving, answered in turn: the two ends answered each other's answers
// forever, thousands of frames a second.
func TestLateAnswerBetweenServingEnds(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ar, aw, br, bw := pipePair(t)
	started := make(chan struct{}, 1)
	regB := hosttest.Registry()
	regB.AddService("calc", "hang", func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	outA, outB := &tee{w: aw}, &tee{w: bw}
	a := New(ar, outA, Config{Registry: hosttest.Registry(), Hello: true})
	b := New(br, outB, Config{Registry: regB, Hello: true})
	ctx, cancel := context.WithCancel(context.Background())
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

	cctx, ccancel := context.WithCancel(ctx)
	go func() {
		<-started
		ccancel()
	}()
	_, err := a.Call(cctx, "calc.hang", &wire.Request{Type: wire.TypeCall, Namespace: "calc", Name: "hang", Args: []byte("[]")}, nil)
	if err == nil {
		t.Fatal("the canceled call returned no error")
	}
	// B's late answer reaches A before the answer to A's next call, and
	// B's answer to a call of its own comes after whatever A wrote before.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(outB.String(), `"code":"canceled"`); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("B did not answer the canceled call within 10s; B wrote:\n%s", outB.String())
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second) // a watchdog
	defer wcancel()
	if n, err := callInt(wctx, a, "add", 1, 2); n != 3 || err != nil {
		t.Errorf("A's next call: %d, %v", n, err)
	}
	// B's call 2 (B's sequences are its own) must get its own answer, not
	// a bad_request of A's that names A's call 2.
	if n, err := callInt(wctx, b, "add", 2, 2); n != 4 || err != nil {
		t.Errorf("B's call: %d, %v", n, err)
	}
	for name, out := range map[string]*tee{"A": outA, "B": outB} {
		if n := strings.Count(out.String(), "has no type"); n != 0 {
			t.Errorf("%s answered %d late answers with bad_request (they answer each other's answers); it wrote:\n%.2000s", name, n, out.String())
		}
	}
}
