package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
)

// pendingPeer serves reg on a connection with cfg over OS pipes; the test
// plays the peer raw, writing frames to the returned file and reading
// the answers from the returned reader.
func pendingPeer(t *testing.T, reg *registry.Registry, cfg Config) (*Conn, *os.File, *bufio.Reader) {
	t.Helper()
	c, pw, pr := rawPeer(t, reg, cfg)
	return c, pw, bufio.NewReader(pr)
}

// rawPeer is pendingPeer with the pipe the answers are read from.
func rawPeer(t testing.TB, reg *registry.Registry, cfg Config) (c *Conn, pw, pr *os.File) {
	t.Helper()
	hosttest.CheckGoroutines(t)
	cr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, cw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Registry = reg
	c = New(cr, cw, cfg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Serve(context.Background(), nil)
		cw.Close()
	}()
	t.Cleanup(func() {
		pw.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("watchdog: Serve still running 10s after the peer closed")
		}
		cr.Close()
		pr.Close()
	})
	return c, pw, pr
}

// holdService registers mem.hold, which takes a string and blocks until
// release is closed, counting the calls running at once.
func holdService(release <-chan struct{}) (*registry.Registry, *atomic.Int64) {
	var running, most atomic.Int64
	reg := registry.New()
	reg.AddService("mem", "hold", func(ctx context.Context, s string) (int, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		defer running.Add(-1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return len(s), nil
	})
	return reg, &most
}

// writeHoldCalls writes calls 1 to n to mem.hold with strings of size
// bytes, reporting a failure on t (from any goroutine).
func writeHoldCalls(t *testing.T, w *os.File, n, size int) {
	for seq := 1; seq <= n; seq++ {
		frame := fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"mem","name":"hold","args":["%s"]}`+"\n", seq, strings.Repeat("a", size))
		if _, err := w.WriteString(frame); err != nil {
			t.Errorf("writing call %d: %v", seq, err)
			return
		}
	}
}

// Calls whose arguments would take the pending bytes over
// MaxPendingBytes are not read on while the budget is full: only as many
// as fit run or wait, whatever the in-flight bound; the rest run as room
// is made.
func TestPendingBytesBoundCalls(t *testing.T) {
	release := make(chan struct{})
	reg, most := holdService(release)
	const size, budget, calls = 40 << 10, 100 << 10, 10
	c, w, r := pendingPeer(t, reg, Config{MaxPendingBytes: budget})
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		writeHoldCalls(t, w, calls, size)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for c.inflightCount() < calls && !readerWaitsForRoom() {
		if time.Now().After(deadline) {
			t.Fatal("watchdog: within 10s, neither are all calls in flight nor does the reader wait for room")
		}
		time.Sleep(time.Millisecond)
	}
	if n, want := c.inflightCount(), budget/(size+4); n > want {
		t.Errorf("%d calls of %d bytes running or queued with a budget of %d bytes, want at most %d", n, size+4, budget, want)
	}
	close(release)
	for range calls {
		if line, err := r.ReadString('\n'); err != nil || strings.Contains(line, `"code"`) {
			t.Fatalf("answer %q, %v: want served", line, err)
		}
	}
	<-wrote
	if got, want := most.Load(), int64(budget/(size+4)); got > want {
		t.Errorf("%d calls ran at once with a budget of %d bytes and %d bytes of arguments each, want at most %d", got, budget, size+4, want)
	}
}

func (c *Conn) inflightCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inflight)
}

// readerWaitsForRoom reports whether a goroutine waits in admit.
func readerWaitsForRoom() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[select") && strings.Contains(g, ".(*Conn).admit(") {
			return true
		}
	}
	return false
}

// A call whose arguments alone exceed MaxPendingBytes (within the frame
// limit) still runs, once nothing else holds any bytes.
func TestPendingBytesCallOverTheBudgetRunsAlone(t *testing.T) {
	release := make(chan struct{})
	close(release)
	reg, most := holdService(release)
	_, w, r := pendingPeer(t, reg, Config{MaxPendingBytes: 1 << 10, MaxFrame: 1 << 20})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		writeHoldCalls(t, w, 3, 300<<10)
	}()
	for range 3 {
		if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, `"reply"`) {
			t.Fatalf("answer %.200q, %v: want served", line, err)
		}
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d calls over the budget ran at once, want 1", most.Load())
	}
}
