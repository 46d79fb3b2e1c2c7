package engine

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
)

// incRegistry serves calc.inc.
func incRegistry() *registry.Registry {
	reg := registry.New()
	reg.AddService("calc", "inc", func(n int) int { return n + 1 })
	return reg
}

// noWatchdog turns the inline watchdog off for the connections made until
// cleanup: what it would take back or hand over then stays as it is.
func noWatchdog(t *testing.T) {
	d := inlineBudget
	inlineBudget = time.Hour
	t.Cleanup(func() { inlineBudget = d })
}

// A caller on a serving connection reads its own replies: once Serve's
// reader has answered it, it lends the caller the read token, and each
// call after that takes it, with no hand-off from Serve's reader.
func TestServingCallerReadsItsOwnReplies(t *testing.T) {
	noWatchdog(t) // nothing takes the token back behind the test's back
	a, b := peers(t, incRegistry(), registry.New())
	<-a.HelloAnswered()
	<-b.HelloAnswered()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	before := b.takes.Load()
	const n = 100
	for i := range n {
		if got, err := callInt(ctx, b, "inc", i); err != nil || got != i+1 {
			t.Fatalf("call %d: %d, %v", i, got, err)
		}
	}
	if took := b.takes.Load() - before; took < n-2 {
		t.Errorf("B's caller took the read token %d times in %d calls, want one per call after the first", took, n)
	}
}

// Once its callers stop calling, a connection that lent them its read
// token reads the peer's requests again: the watchdog takes the token
// back, and counts the lend as one that no caller used.
func TestLentTokenComesBackForThePeer(t *testing.T) {
	a, b := peers(t, incRegistry(), incRegistry())
	<-a.HelloAnswered()
	<-b.HelloAnswered()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	for i := 0; !b.lent.Load(); i++ { // the watchdog may take it back between calls
		if i == 1000 {
			t.Fatal("B never lent its read token")
		}
		if _, err := callInt(ctx, b, "inc", i); err != nil {
			t.Fatal(err)
		}
	}
	// B calls no more; only the watchdog can have B read A's call.
	if got, err := callInt(ctx, a, "inc", 41); err != nil || got != 42 {
		t.Fatalf("A's call: %d, %v", got, err)
	}
	if b.lendMisses.Load() == 0 {
		t.Error("the unused lend was not counted")
	}
}

// Serve ends when its context does although its read token is lent and
// idle and no watchdog would take it back.
func TestServeEndsWithItsTokenLent(t *testing.T) {
	hosttest.CheckGoroutines(t)
	noWatchdog(t)
	ar, bw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	br, aw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range []*os.File{ar, aw, br, bw} {
			f.Close()
		}
	}()
	a := New(ar, aw, Config{Registry: incRegistry(), Hello: true})
	b := New(br, bw, Config{Registry: registry.New(), Hello: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	served := make(chan error, 2)
	for _, c := range []*Conn{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			served <- c.Serve(ctx, nil)
		}()
	}
	callCtx, stop := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer stop()
	for i := range 5 {
		if _, err := callInt(callCtx, b, "inc", i); err != nil {
			t.Fatal(err)
		}
	}
	if !b.lent.Load() {
		t.Fatal("B did not lend its read token")
	}
	cancel()
	for range 2 {
		select {
		case <-served:
		case <-time.After(20 * time.Second):
			t.Fatal("Serve did not return once its context ended")
		}
	}
	wg.Wait()
}
