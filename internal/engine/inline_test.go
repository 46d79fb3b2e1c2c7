package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/registry"
)

// A call run inline that waits for the peer (a re-entrant call) hands
// reading over at once, not when the watchdog notices: here the watchdog
// never ticks, so the reply could not be read otherwise.
func TestInlineCallWaitingForThePeerHandsOver(t *testing.T) {
	defer func(d time.Duration) { inlineBudget = d }(inlineBudget)
	inlineBudget = time.Hour
	var pa atomic.Pointer[Conn]
	regA, regB := downRegistries(&pa)
	a, b := peers(t, regA, regB)
	pa.Store(a)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	for i := range 20 { // one at a time: each runs inline on A's reader
		if n, err := callInt(ctx, b, "down", i); err != nil || n != i+1 {
			t.Fatalf("call %d: %d, %v", i, n, err)
		}
	}
}

// A call run inline that waits for another call of the peer's, which only
// a reader can deliver, is freed by the watchdog: it hands reading over
// once the call has run through a whole tick.
func TestInlineCallBlockedIsHandedOver(t *testing.T) {
	regA := registry.New()
	var release atomic.Pointer[chan struct{}] // the attempt's (pipes hide the order from -race)
	entered := make(chan struct{})
	regA.AddService("calc", "wait", func() int {
		entered <- struct{}{}
		<-*release.Load()
		return 1
	})
	regA.AddService("calc", "release", func() int {
		close(*release.Load())
		return 2
	})
	a, b := peers(t, regA, registry.New())
	<-a.HelloAnswered()
	<-b.HelloAnswered()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	// wait runs inline when nothing is read behind it, which a frame of the
	// hello exchange may spoil: try until it does.
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			t.Fatal("wait never ran inline")
		}
		ch := make(chan struct{})
		release.Store(&ch)
		waited := make(chan error, 1)
		go func() {
			n, err := callInt(ctx, b, "wait")
			if err == nil && n != 1 {
				err = fmt.Errorf("wait answered %d", n)
			}
			waited <- err
		}()
		<-entered
		inline := a.inline.state.Load()&1 == 1
		// Inline, release can be read only once the watchdog hands over.
		if n, err := callInt(ctx, b, "release"); err != nil || n != 2 {
			t.Fatalf("release: %d, %v", n, err)
		}
		if err := <-waited; err != nil {
			t.Fatalf("wait: %v", err)
		}
		if inline {
			return
		}
	}
}

// Hand-overs one after the other, with a budget so short that the
// watchdog hands reading over from calls of a few microseconds, while
// many callers call: each reply reaches its caller, and (under -race)
// no two readers ever read at once. A claim of the watchdog that lost
// the race for the generation used to start a second reader.
func TestHandOversUnderATinyBudget(t *testing.T) {
	defer func(d time.Duration) { inlineBudget = d }(inlineBudget)
	inlineBudget = 5 * time.Microsecond
	regA := registry.New()
	regA.AddService("calc", "inc", func(n int) int {
		if n%3 == 0 {
			time.Sleep(20 * time.Microsecond) // outlives the budget
		}
		return n + 1
	})
	a, b := peers(t, regA, registry.New())
	<-a.HelloAnswered()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a watchdog
	defer cancel()
	const callers, calls = 16, 1000
	errs := make(chan error, callers)
	for g := range callers {
		go func() {
			for i := range calls {
				n := g*calls + i
				if got, err := callInt(ctx, b, "inc", n); err != nil || got != n+1 {
					errs <- fmt.Errorf("caller %d call %d: %d, %v", g, i, got, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
