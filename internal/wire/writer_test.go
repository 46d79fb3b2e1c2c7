package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// gateWriter records writes. With a gate, each Write announces itself on
// entered and then waits for a token on release (or for release to close).
type gateWriter struct {
	gate    bool
	entered chan []byte
	release chan struct{}
	err     error // returned by every Write when set

	mu     sync.Mutex
	writes [][]byte
}

func newGateWriter() *gateWriter {
	return &gateWriter{gate: true, entered: make(chan []byte, 100), release: make(chan struct{})}
}

func (g *gateWriter) Write(p []byte) (int, error) {
	c := bytes.Clone(p)
	if g.gate {
		g.entered <- c
		<-g.release
	}
	g.mu.Lock()
	g.writes = append(g.writes, c)
	g.mu.Unlock()
	if g.err != nil {
		return 0, g.err
	}
	return len(p), nil
}

func (g *gateWriter) all() ([][]byte, []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes, bytes.Join(g.writes, nil)
}

func frameN(i int) []byte {
	return fmt.Appendf(nil, "{\"sequence\":%d,\"pad\":\"%s\"}\n", i, strings.Repeat("p", i%50))
}

func TestWriterOrder(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	g := &gateWriter{}
	w := NewWriter(g, 256)
	var want []byte
	for i := 0; i < 2000; i++ {
		f := frameN(i)
		want = append(want, f...)
		if err := w.Send(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		f[0] = 'X' // Send copied the frame
	}
	w.Close(true)
	if _, got := g.all(); !bytes.Equal(got, want) {
		t.Fatalf("wrote %d bytes, want %d in Send order", len(got), len(want))
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Send(nil, []byte("{}\n")); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	select {
	case <-w.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
}

func TestWriterConcurrent(t *testing.T) {
	defer watchdog(t, 60*time.Second)()
	const senders, perSender = 64, 300
	pr, pw := io.Pipe()
	w := NewWriter(pw, 512) // small: Senders wait for room
	var wg sync.WaitGroup
	readerExited := make(chan struct{})
	defer func() {
		// On failure too, unblock and end every goroutine before returning.
		pr.Close()
		w.Close(false)
		pw.Close()
		wg.Wait()
		<-readerExited
	}()
	type result struct {
		seen map[[2]int]int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer close(readerExited)
		res := result{seen: map[[2]int]int{}}
		last := map[int]int{}
		f := NewFramer(pr, 1<<20)
		for {
			fr, err := f.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				res.err = err
				break
			}
			var v struct {
				G, N int
				Pad  string
			}
			if err := JSON.Unmarshal(fr.Data, &v); err != nil || v.Pad != strings.Repeat("x", v.N%37) {
				res.err = fmt.Errorf("broken frame %q: %v", fr.Data, err)
				break
			}
			if n, ok := last[v.G]; ok && v.N <= n {
				res.err = fmt.Errorf("sender %d: frame %d after %d", v.G, v.N, n)
				break
			}
			last[v.G] = v.N
			res.seen[[2]int{v.G, v.N}]++
		}
		if f.Skipped != 0 && res.err == nil {
			res.err = fmt.Errorf("%d bytes between frames", f.Skipped)
		}
		pr.Close()
		done <- res
	}()
	errs := make(chan error, senders)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perSender {
				frame := fmt.Appendf(nil, `{"g":%d,"n":%d,"pad":"%s"}`+"\n", g, n, strings.Repeat("x", n%37))
				if err := w.Send(context.Background(), frame); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	w.Close(true)
	pw.Close()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.seen) != senders*perSender {
		t.Fatalf("%d distinct frames, want %d", len(res.seen), senders*perSender)
	}
	for k, n := range res.seen {
		if n != 1 {
			t.Fatalf("frame %v arrived %d times", k, n)
		}
	}
}

// TestWriterBatches checks that frames sent while a write is in progress go
// out together in one write.
func TestWriterBatches(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	g := newGateWriter()
	w := NewWriter(g, 1<<20)
	if err := w.Send(nil, []byte("A\n")); err != nil {
		t.Fatal(err)
	}
	if got := <-g.entered; string(got) != "A\n" {
		t.Fatalf("first write %q", got)
	}
	for _, f := range []string{"B\n", "C\n", "D\n"} {
		if err := w.Send(nil, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	g.release <- struct{}{}
	if got := <-g.entered; string(got) != "B\nC\nD\n" {
		t.Fatalf("second write %q, want the three queued frames at once", got)
	}
	g.release <- struct{}{}
	close(g.release)
	w.Close(true)
	writes, all := g.all()
	if len(writes) != 2 || string(all) != "A\nB\nC\nD\n" {
		t.Fatalf("%d writes: %q", len(writes), writes)
	}
}

// fillQueue starts a write that does not return and queues frames until the
// queue is at its limit: the next Send has to wait.
func fillQueue(t *testing.T, limit int) (*Writer, *gateWriter) {
	t.Helper()
	g := newGateWriter()
	w := NewWriter(g, limit)
	if err := w.Send(nil, []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	<-g.entered // the writer's goroutine is in Write with the first frame
	for i := 0; i < limit/10; i++ {
		if err := w.Send(nil, []byte("abcdefghij")); err != nil {
			t.Fatal(err)
		}
	}
	return w, g
}

func TestWriterBackpressure(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	w, g := fillQueue(t, 100)

	// A Send that has to wait returns the context's error, and queues nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Send(ctx, []byte("late")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send on a full queue with a canceled context: %v", err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	if err := w.Send(dctx, []byte("late")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send on a full queue past its deadline: %v", err)
	}

	// A Send blocked on the full queue returns when its context is canceled.
	ctx, cancel = context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- w.Send(ctx, []byte("late")) }()
	waitBlockedIn(t, "(*Writer).Send")
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("blocked Send after cancel: %v", err)
	}

	// A blocked Send goes through once the write returns and takes the queue.
	go func() { res <- w.Send(context.Background(), []byte("ok\n")) }()
	waitBlockedIn(t, "(*Writer).Send")
	g.release <- struct{}{} // first write done; the queue goes to the second
	if err := <-res; err != nil {
		t.Fatalf("Send after room was made: %v", err)
	}
	close(g.release)
	w.Close(true)
	_, all := g.all()
	if want := "0123456789" + strings.Repeat("abcdefghij", 10) + "ok\n"; string(all) != want {
		t.Fatalf("wrote %q, want %q", all, want)
	}
}

func TestWriterErrorSticky(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	boom := errors.New("boom")
	g := &gateWriter{err: boom}
	w := NewWriter(g, 0)
	if err := w.Send(nil, []byte("A\n")); err != nil {
		t.Fatal(err) // queued before the write failed
	}
	<-w.Done()
	for i := 0; i < 3; i++ {
		if err := w.Send(context.Background(), []byte("B\n")); err != boom {
			t.Fatalf("Send after the write error: %v, want it", err)
		}
	}
	if err := w.Err(); err != boom {
		t.Fatalf("Err() = %v", err)
	}
	w.Close(true)
	w.Close(false)
	if err := w.Err(); err != boom {
		t.Fatalf("Err() after Close = %v", err)
	}
	if writes, _ := g.all(); len(writes) != 1 {
		t.Fatalf("%d writes after the error", len(writes))
	}
}

// TestWriterErrorReleasesSenders checks that Senders waiting for room
// return the write error when the write fails.
func TestWriterErrorReleasesSenders(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	w, g := fillQueue(t, 50)
	boom := errors.New("boom")
	g.err = boom // read by Write after release, which happens after this
	res := make(chan error, 2)
	for range 2 {
		go func() { res <- w.Send(nil, []byte("late")) }()
	}
	waitBlockedIn(t, "(*Writer).Send")
	close(g.release)
	for range 2 {
		if err := <-res; err != boom {
			t.Fatalf("waiting Send: %v", err)
		}
	}
	<-w.Done()
	if w.Err() != boom {
		t.Fatalf("Err() = %v", w.Err())
	}
	w.Close(true)
}

func TestWriterCloseFlush(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	g := newGateWriter()
	w := NewWriter(g, 0)
	for _, f := range []string{"A\n", "B\n", "C\n"} {
		if err := w.Send(nil, []byte(f)); err != nil {
			t.Fatal(err)
		}
		if f == "A\n" {
			<-g.entered
		}
	}
	closed := make(chan struct{})
	go func() { w.Close(true); close(closed) }()
	waitClosed(t, w)
	if err := w.Send(nil, []byte("D\n")); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Send while closing: %v", err)
	}
	close(g.release)
	<-closed
	if _, all := g.all(); string(all) != "A\nB\nC\n" {
		t.Fatalf("Close(true) wrote %q", all)
	}
}

func TestWriterCloseDrop(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	g := newGateWriter()
	w := NewWriter(g, 0)
	if err := w.Send(nil, []byte("A\n")); err != nil {
		t.Fatal(err)
	}
	<-g.entered
	if err := w.Send(nil, []byte("B\n")); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { w.Close(false); close(closed) }()
	waitClosed(t, w)
	close(g.release)
	<-closed
	if _, all := g.all(); string(all) != "A\n" {
		t.Fatalf("Close(false) wrote %q, want only the write in progress", all)
	}
	if err := w.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
}

func TestWriterCloseIdle(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	for _, flush := range []bool{false, true} {
		g := &gateWriter{}
		w := NewWriter(g, 0)
		w.Close(flush)
		w.Close(flush) // twice is fine
		if writes, _ := g.all(); len(writes) != 0 {
			t.Fatalf("writes: %q", writes)
		}
		if err := w.Send(nil, nil); !errors.Is(err, ErrWriterClosed) {
			t.Fatal(err)
		}
	}
}

// TestWriterCloseReleasesSenders checks that Close makes Senders waiting
// for room return, even while the write in progress has not returned.
func TestWriterCloseReleasesSenders(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	for _, flush := range []bool{false, true} {
		w, g := fillQueue(t, 30)
		res := make(chan error, 3)
		for range 3 {
			go func() { res <- w.Send(context.Background(), []byte("late")) }()
		}
		waitBlockedIn(t, "(*Writer).Send")
		closed := make(chan struct{})
		go func() { w.Close(flush); close(closed) }()
		for range 3 {
			if err := <-res; !errors.Is(err, ErrWriterClosed) {
				t.Fatalf("flush %v: waiting Send returned %v", flush, err)
			}
		}
		close(g.release) // only now does the write in progress return
		<-closed
		_, all := g.all()
		want := "0123456789"
		if flush {
			want += strings.Repeat("abcdefghij", 3)
		}
		if string(all) != want {
			t.Fatalf("flush %v: wrote %q, want %q", flush, all, want)
		}
	}
}

// waitClosed waits until Close has marked w closed.
func waitClosed(t *testing.T, w *Writer) {
	t.Helper()
	defer watchdog(t, 30*time.Second)()
	for {
		w.mu.Lock()
		closed := w.closed
		w.mu.Unlock()
		if closed {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWriterLargeFrame(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	g := &gateWriter{}
	w := NewWriter(g, 10)
	big := bytes.Repeat([]byte("x"), 1000) // over the limit: queued whole when the queue has room
	if err := w.Send(nil, big); err != nil {
		t.Fatal(err)
	}
	if err := w.Send(nil, big); err != nil {
		t.Fatal(err)
	}
	w.Close(true)
	if _, all := g.all(); len(all) != 2000 {
		t.Fatalf("wrote %d bytes", len(all))
	}
}
