package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// peers connects two serving connections over OS pipes and serves both
// until cleanup.
func peers(t *testing.T, regA, regB *registry.Registry) (a, b *Conn) {
	t.Helper()
	return peersWith(t, regA, regB, func(*Config) {})
}

// pipePair returns two OS pipes between ends A and B: A reads ar and
// writes aw, B reads br and writes bw.
func pipePair(t testing.TB) (ar, aw, br, bw *os.File) {
	t.Helper()
	ar, bw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	br, aw, err = os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return ar, aw, br, bw
}

// peersWith is peers with A's Config changed by cfgA.
func peersWith(t *testing.T, regA, regB *registry.Registry, cfgA func(*Config)) (a, b *Conn) {
	t.Helper()
	hosttest.CheckGoroutines(t)
	ar, aw, br, bw := pipePair(t)
	ca := Config{Registry: regA, Hello: true}
	cfgA(&ca)
	a = New(ar, aw, ca)
	b = New(br, bw, Config{Registry: regB, Hello: true})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, c := range []*Conn{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Serve(ctx, nil)
		}()
	}
	t.Cleanup(func() {
		cancel()
		aw.Close()
		bw.Close()
		wg.Wait()
		ar.Close()
		br.Close()
	})
	return a, b
}

// callInt calls ns.name on c's peer with int arguments and decodes one int.
func callInt(ctx context.Context, c *Conn, name string, args ...int) (int, error) {
	js := "["
	for i, a := range args {
		if i > 0 {
			js += ","
		}
		js += strconv.Itoa(a)
	}
	js += "]"
	rep, err := c.Call(ctx, "calc."+name, &wire.Request{Type: wire.TypeCall, Namespace: "calc", Name: name, Args: []byte(js)}, nil)
	if err != nil {
		return 0, err
	}
	if rep.Error != "" {
		return 0, &wire.Error{Code: rep.Code, Namespace: "calc", Name: name, Message: rep.Error}
	}
	var out []int
	if err := wire.JSON.Unmarshal(rep.Reply, &out); err != nil || len(out) != 1 {
		return 0, errors.New("bad reply " + string(rep.Reply))
	}
	return out[0], nil
}

// A call made while serving a call, in both directions and nested: A's
// service calls B, whose service calls A back, down to depth 0. Each end
// serves and calls on the same connection; nothing deadlocks, even with
// many such chains at once.
func TestReentrantCallsBothWays(t *testing.T) {
	regA, regB := registry.New(), registry.New()
	// The services reach the conns through atomics: the race detector does
	// not see the ordering that the pipes give.
	var pa, pb atomic.Pointer[Conn]
	regA.AddService("calc", "down", func(ctx context.Context, n int) (int, error) {
		if n == 0 {
			return 0, nil
		}
		v, err := callInt(ctx, pa.Load(), "down", n-1) // A calls B from inside B's call
		return v + 1, err
	})
	regB.AddService("calc", "down", func(ctx context.Context, n int) (int, error) {
		if n == 0 {
			return 0, nil
		}
		v, err := callInt(ctx, pb.Load(), "down", n-1) // B calls A from inside A's call
		return v + 1, err
	})
	a, b := peers(t, regA, regB)
	pa.Store(a)
	pb.Store(b)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog, not a speed bound
	defer cancel()
	const chains, depth = 16, 12
	var wg sync.WaitGroup
	errs := make(chan error, chains)
	for i := 0; i < chains; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := a
			if i%2 == 1 {
				c = b
			}
			n, err := callInt(ctx, c, "down", depth)
			if err == nil && n != depth {
				err = errors.New("wrong depth " + strconv.Itoa(n))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("re-entrant chain: %v", err)
		}
	}
}

// The end of the connection reaches everything blocked on it: a caller
// waiting for a response on a serving connection fails with ErrClosed when
// the peer goes away, and so does the next call.
func TestPeerGoneFailsCallsOnAServingConn(t *testing.T) {
	hosttest.CheckGoroutines(t)
	regA := registry.New()
	regA.AddService("calc", "x", func() int { return 1 })
	ar, bw, _ := os.Pipe()
	br, aw, _ := os.Pipe()
	a := New(ar, aw, Config{Registry: regA})
	served := make(chan error, 1)
	go func() { served <- a.Serve(context.Background(), nil) }()
	got := make(chan error, 1)
	go func() {
		_, err := callInt(context.Background(), a, "never", 1)
		got <- err
	}()
	buf := make([]byte, 512)
	br.Read(buf) // the call reached the peer, which then goes away
	bw.Close()
	br.Close()
	select {
	case err := <-got:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("pending call: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a pending call outlived its peer")
	}
	if _, err := callInt(context.Background(), a, "later", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("call after the end: %v, want ErrClosed", err)
	}
	<-served
	ar.Close()
	aw.Close()
}

// Calls around the inline budget hand reading over again and again: the
// old reader must never read again once the new one may. Echoes carry
// blobs, so two readers at once would tear frames apart.
func TestReadHandOffUnderLoad(t *testing.T) {
	regA := registry.New()
	regA.AddService("calc", "echo", func(b []byte, us int) []byte {
		time.Sleep(time.Duration(us) * time.Microsecond)
		return b
	})
	a, b := peers(t, regA, registry.New())
	<-a.HelloAnswered()
	<-b.HelloAnswered()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a watchdog
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				payload := make([]byte, 600+g*97+i)
				for j := range payload {
					payload[j] = byte(g + i + j)
				}
				args := []byte(`[0,` + strconv.Itoa(150+(i*37+g*11)%120) + `]`)
				rep, err := b.Call(ctx, "calc.echo", &wire.Request{Type: wire.TypeCall, Namespace: "calc", Name: "echo", Args: args}, [][]byte{payload})
				if err == nil && rep.Error != "" {
					err = errors.New(rep.Error)
				}
				if err == nil && (len(rep.Blobs) != 1 || string(rep.Blobs[0]) != string(payload)) {
					err = errors.New("echo came back different")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// downRegistries serves calc.down on both ends: A's calls B's (through
// *pa, A's connection) and adds one, B's answers its argument.
func downRegistries(pa *atomic.Pointer[Conn]) (regA, regB *registry.Registry) {
	regA, regB = registry.New(), registry.New()
	regA.AddService("calc", "down", func(ctx context.Context, n int) (int, error) {
		v, err := callInt(ctx, pa.Load(), "down", n)
		return v + 1, err
	})
	regB.AddService("calc", "down", func(n int) int { return n })
	return regA, regB
}

// Re-entrant calls at the bounds: A runs one call at a time (and queues
// one), and each of its calls calls B back. B makes more calls than A's
// bounds hold: A's reader must go on reading B's replies to the running
// call instead of waiting for room, or nothing ever finishes.
func TestReentrantCallsAtTheBounds(t *testing.T) {
	for name, cfg := range map[string]func(*Config){
		"in-flight bound": func(c *Config) { c.MaxInFlight = 1 },
		"byte budget":     func(c *Config) { c.MaxPendingBytes = 64 },
	} {
		t.Run(name, func(t *testing.T) {
			var pa atomic.Pointer[Conn]
			regA, regB := downRegistries(&pa)
			a, b := peersWith(t, regA, regB, cfg)
			pa.Store(a)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
			defer cancel()
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for i := 0; i < 6; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					n, err := callInt(ctx, b, "down", 100+i)
					if err == nil && n != 101+i {
						err = errors.New("wrong answer " + strconv.Itoa(n))
					}
					errs <- err
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("re-entrant call past A's bounds: %v", err)
				}
			}
		})
	}
}

// A connection on a reader without deadlines (io.Pipe) reads in a
// goroutine of its own from the start; Serve must take that reader over,
// not start a second one beside it (-race saw both read the framer).
func TestServeOnAReaderWithoutDeadlines(t *testing.T) {
	hosttest.CheckGoroutines(t)
	regA, regB := registry.New(), registry.New()
	regA.AddService("calc", "add", func(a, b int) int { return a + b })
	regB.AddService("calc", "add", func(a, b int) int { return 10*a + b })
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	a := New(ar, aw, Config{Registry: regA})
	b := New(br, bw, Config{Hello: true})                                    // calls first, serves later
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a watchdog
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.Serve(ctx, nil) }()
	if n, err := callInt(ctx, b, "add", 1, 2); n != 3 || err != nil {
		t.Fatalf("before serving: %d, %v", n, err)
	}
	go func() { defer wg.Done(); b.Serve(ctx, regB) }()
	if err := a.AwaitPeer(ctx, wire.FeatureServe); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if n, err := callInt(ctx, a, "add", 1, 2); n != 12 || err != nil {
			t.Fatalf("A calls B: %d, %v", n, err)
		}
		if n, err := callInt(ctx, b, "add", 1, 2); n != 3 || err != nil {
			t.Fatalf("B calls A: %d, %v", n, err)
		}
	}
	cancel()
	ar.Close()
	br.Close()
	wg.Wait()
}
