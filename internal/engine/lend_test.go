package engine

import (
	"context"
	"os"
	"sync/atomic"
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

// untilLent calls c's peer until c has lent its read token to its callers
// (a busy machine may have an answer read before its caller waits, when
// there is nobody to lend to).
func untilLent(ctx context.Context, t *testing.T, c *Conn) {
	t.Helper()
	for i := 0; !c.lent.Load(); i++ {
		if i == 1000 {
			t.Fatal("the read token was never lent")
		}
		if _, err := callInt(ctx, c, "inc", i); err != nil {
			t.Fatal(err)
		}
	}
}

// A caller on a serving connection reads its own replies: once Serve's
// reader has answered it while it waited, it lends the caller the read
// token, and each call after that takes it, with no hand-off from Serve's
// reader.
func TestServingCallerReadsItsOwnReplies(t *testing.T) {
	noWatchdog(t) // nothing takes the token back behind the test's back
	a, b := peers(t, incRegistry(), registry.New())
	<-a.HelloAnswered()
	<-b.HelloAnswered()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	untilLent(ctx, t, b)
	before := b.takes.Load()
	const n = 100
	for i := range n {
		if got, err := callInt(ctx, b, "inc", i); err != nil || got != i+1 {
			t.Fatalf("call %d: %d, %v", i, got, err)
		}
	}
	if took := b.takes.Load() - before; took < n {
		t.Errorf("B's caller took the read token %d times in %d calls, want one per call", took, n)
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
	untilLent(ctx, t, b) // the watchdog may take it back between calls, too
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newServedPair(t, ctx, ctx, incRegistry(), registry.New())
	callCtx, stop := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer stop()
	untilLent(callCtx, t, p.b)
	cancel()
	p.wait(t)
}

// servedPair is two serving connections over OS pipes, each served with
// its own context, for tests that end Serve themselves.
type servedPair struct {
	a, b   *Conn
	served chan error // each Serve's result
	files  []*os.File
}

func newServedPair(t testing.TB, ctxA, ctxB context.Context, regA, regB *registry.Registry) *servedPair {
	t.Helper()
	ar, aw, br, bw := pipePair(t)
	p := &servedPair{served: make(chan error, 2), files: []*os.File{ar, aw, br, bw}}
	p.a = New(ar, aw, Config{Registry: regA, Hello: true})
	p.b = New(br, bw, Config{Registry: regB, Hello: true})
	go func() { p.served <- p.a.Serve(ctxA, nil) }()
	go func() { p.served <- p.b.Serve(ctxB, nil) }()
	return p
}

// wait waits for both Serves, within a generous watchdog, then closes the
// pipes.
func (p *servedPair) wait(t testing.TB) {
	t.Helper()
	defer func() {
		for _, f := range p.files {
			f.Close()
		}
	}()
	for range 2 {
		select {
		case <-p.served:
		case <-time.After(20 * time.Second):
			t.Fatal("Serve did not return once its context ended")
		}
	}
}

// B's caller, reading for its call, is woken as its context ends, just
// before B's Serve's context ends too: B's Serve returns. The caller's
// Wake, striking with the read deadline that ends Serve, turned it into
// ErrWoken and cleared it, and the reader started after the caller left
// used to read on, for good.
func TestServeEndsWithItsCallerReading(t *testing.T) {
	hosttest.CheckGoroutines(t)
	regA := incRegistry()
	regA.AddService("calc", "block", func(ctx context.Context) int {
		<-ctx.Done()
		return 0
	})
	for attempt := range 100 {
		ctxA, cancelA := context.WithCancel(context.Background())
		ctxB, cancelB := context.WithCancel(context.Background())
		p := newServedPair(t, ctxA, ctxB, regA, registry.New())
		callCtx, cancelCall := context.WithCancel(context.Background())
		for i := range 3 { // B lends its token to its caller
			if _, err := callInt(callCtx, p.b, "inc", i); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			callInt(callCtx, p.b, "block") // B's caller reads until callCtx ends
		}()
		time.Sleep(time.Duration(attempt%5) * 100 * time.Microsecond)
		cancelCall()
		cancelB()
		<-done
		cancelA()
		p.wait(t)
	}
}

// A second Serve of a connection being served is refused at once, even
// while the first lends its read token to callers.
func TestSecondServeIsRefused(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithCancel(context.Background())
	p := newServedPair(t, ctx, ctx, incRegistry(), registry.New())
	defer p.wait(t)
	defer cancel()
	callCtx, stop := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer stop()
	<-p.b.served // the first Serve has begun
	second := make(chan error, 1)
	go func() { second <- p.b.Serve(ctx, nil) }()
	for i := range 20 { // B lends its token: the second Serve must not take it
		if _, err := callInt(callCtx, p.b, "inc", i); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-second:
		if err == nil || err.Error() != errServedAlready.Error() {
			t.Fatalf("second Serve: %v, want %v", err, errServedAlready)
		}
	case <-callCtx.Done():
		t.Fatal("the second Serve did not return")
	}
}

// A caller that, holding the lent token, reads the peer's calls (the peer
// calls back while it answers) gives the token back to a reader of
// Serve's, which runs such calls inline, and lending backs off.
func TestCallerServingGivesTheTokenBack(t *testing.T) {
	noWatchdog(t) // only the caller gives the token back
	var pa atomic.Pointer[Conn]
	regB := incRegistry()
	regB.AddService("calc", "back", func(ctx context.Context, n int) (int, error) {
		return callInt(ctx, pa.Load(), "inc", n)
	})
	a, b := peers(t, incRegistry(), regB)
	pa.Store(b)
	<-a.HelloAnswered()
	<-b.HelloAnswered()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	// Until A lends and its caller serves B's call with the lent token.
	for i := 0; a.lendMisses.Load() == 0; i++ {
		if i == 1000 {
			t.Fatal("A's callers served B's calls with the lent token, and A lent it on")
		}
		if got, err := callInt(ctx, a, "back", i); err != nil || got != i+1 {
			t.Fatalf("call %d: %d, %v", i, got, err)
		}
	}
}
