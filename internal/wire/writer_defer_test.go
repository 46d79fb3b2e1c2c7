//go:build unix

package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// pipeEmpty reports whether nothing is waiting to be read on r.
func pipeEmpty(t *testing.T, r pipeEnd) bool {
	t.Helper()
	if err := r.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	defer r.SetReadDeadline(time.Time{})
	var b [1]byte
	n, err := r.Read(b[:])
	if n > 0 {
		t.Fatalf("read %q from a pipe that should be empty", b[:n])
	}
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// blockedLoops counts the Writers' goroutines waiting for work.
func blockedLoops() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if strings.Contains(header, "[chan receive") && strings.Contains(g, "wire.(*Writer).loop(") {
			n++
		}
	}
	return n
}

// newIdleWriter is NewWriter once its goroutine waits for work: it writes
// what it finds queued when it looks, deferred frames too, so a test of
// what Defer holds must start after that look.
func newIdleWriter(t *testing.T, w io.Writer) *Writer {
	t.Helper()
	before := blockedLoops()
	wr := NewWriter(w, 0)
	stop := watchdog(t, 30*time.Second)
	defer stop()
	for blockedLoops() <= before {
		time.Sleep(time.Millisecond)
	}
	return wr
}

// readExactly reads exactly len(want) bytes from r and compares them.
func readExactly(t *testing.T, r pipeEnd, want string) {
	t.Helper()
	if err := r.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil { // a watchdog
		t.Fatal(err)
	}
	defer r.SetReadDeadline(time.Time{})
	got := make([]byte, len(want))
	for n := 0; n < len(got); {
		m, err := r.Read(got[n:])
		if err != nil {
			t.Fatalf("read %d of %d bytes, then %v", n, len(want), err)
		}
		n += m
	}
	if string(got) != want {
		t.Fatalf("read %.80q, want %.80q", got, want)
	}
}

// Frames Defer holds are written by Flush, all of them in one write, and
// not before.
func TestWriterDeferHoldsUntilFlush(t *testing.T) {
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		wr := newIdleWriter(t, w)
		defer wr.Close(true)
		now := time.Now()
		for _, f := range []string{"A\n", "B\n", "C\n"} {
			if !wr.Defer([]byte(f), now) {
				t.Fatal("Defer refused a frame to an empty queue")
			}
		}
		if !pipeEmpty(t, r) {
			t.Fatal("deferred frames were written before Flush")
		}
		wr.Flush()
		// One read takes all three: they were written by then.
		buf := make([]byte, 64)
		n, err := r.Read(buf)
		if err != nil || string(buf[:n]) != "A\nB\nC\n" {
			t.Fatalf("read %q, %v after Flush, want the three frames", buf[:n], err)
		}
		wr.Flush() // nothing held: nothing written
		if !pipeEmpty(t, r) {
			t.Fatal("a second Flush wrote something")
		}
	})
}

// A frame sent after deferred ones goes out after them, at once, and
// takes them with it.
func TestWriterSendWritesDeferredFramesFirst(t *testing.T) {
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		for _, send := range []struct {
			name string
			fn   func(wr *Writer, frame []byte, blobs [][]byte) error
		}{
			{"SendBlobs", func(wr *Writer, frame []byte, blobs [][]byte) error {
				return wr.SendBlobs(context.Background(), frame, blobs)
			}},
			{"TrySendBlobs", func(wr *Writer, frame []byte, blobs [][]byte) error {
				ok, err := wr.TrySendBlobs(frame, blobs)
				if !ok && err == nil {
					err = errors.New("TrySendBlobs refused with an empty queue")
				}
				return err
			}},
		} {
			for _, blobs := range [][][]byte{nil, {[]byte("blob")}} {
				t.Run(fmt.Sprintf("%s/%d blobs", send.name, len(blobs)), func(t *testing.T) {
					wr := NewWriter(w, 0)
					defer wr.Close(true)
					now := time.Now()
					wr.Defer([]byte("A\n"), now)
					wr.Defer([]byte("B\n"), now)
					if err := send.fn(wr, []byte("C\n"), blobs); err != nil {
						t.Fatal(err)
					}
					want := "A\nB\nC\n"
					for _, b := range blobs {
						want += string(b)
					}
					readExactly(t, r, want)
				})
			}
		}
	})
}

// Defer writes what it holds once that reaches maxHeld bytes, or once
// the first frame held is older than maxHold: a sender that defers
// forever still has its frames written.
func TestWriterDeferBounds(t *testing.T) {
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		t.Run("time", func(t *testing.T) {
			wr := newIdleWriter(t, w)
			defer wr.Close(true)
			t0 := time.Now()
			wr.Defer([]byte("A\n"), t0)
			wr.Defer([]byte("B\n"), t0.Add(maxHold))
			if !pipeEmpty(t, r) {
				t.Fatal("written before maxHold had passed")
			}
			wr.Defer([]byte("C\n"), t0.Add(maxHold+time.Nanosecond))
			readExactly(t, r, "A\nB\nC\n")
			// The next frame starts a new hold.
			wr.Defer([]byte("D\n"), t0.Add(maxHold+2*time.Nanosecond))
			if !pipeEmpty(t, r) {
				t.Fatal("a new hold was written at once")
			}
			wr.Flush()
			readExactly(t, r, "D\n")
		})
		t.Run("bytes", func(t *testing.T) {
			wr := newIdleWriter(t, w)
			defer wr.Close(true)
			frame := strings.Repeat("x", 1023) + "\n"
			now := time.Now()
			var want strings.Builder
			for i := 0; i < maxHeld/len(frame)-1; i++ {
				wr.Defer([]byte(frame), now)
				want.WriteString(frame)
			}
			if !pipeEmpty(t, r) {
				t.Fatal("written under maxHeld bytes")
			}
			wr.Defer([]byte(frame), now)
			want.WriteString(frame)
			readExactly(t, r, want.String())
		})
	})
}

// On a writer without a descriptor, deferred frames wait for Flush, which
// has the writer's goroutine write them in one write; Close with flush
// writes them too, and Close without drops them.
func TestWriterDeferWithoutDescriptor(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	g := &gateWriter{}
	wr := newIdleWriter(t, g)
	now := time.Now()
	wr.Defer([]byte("A\n"), now)
	wr.Defer([]byte("B\n"), now)
	time.Sleep(10 * time.Millisecond) // a writer that wrote them would have by now
	if writes, _ := g.all(); len(writes) != 0 {
		t.Fatalf("written before Flush: %q", writes)
	}
	wr.Flush()
	wr.Close(true)
	if writes, all := g.all(); len(writes) != 1 || string(all) != "A\nB\n" {
		t.Fatalf("%d writes %q, want one of both frames", len(writes), writes)
	}

	g = &gateWriter{}
	wr = NewWriter(g, 0)
	wr.Defer([]byte("C\n"), now)
	wr.Close(true)
	if _, all := g.all(); string(all) != "C\n" {
		t.Fatalf("Close(true) wrote %q, want the deferred frame", all)
	}
	if wr.Defer([]byte("D\n"), now) {
		t.Fatal("Defer after Close took the frame")
	}

	g = &gateWriter{}
	wr = newIdleWriter(t, g)
	wr.Defer([]byte("E\n"), now)
	wr.Close(false)
	if writes, _ := g.all(); len(writes) != 0 {
		t.Fatalf("Close(false) wrote %q", writes)
	}
}

// Deferring, flushing and sending from many goroutines at once loses and
// reorders nothing: each goroutine's frames arrive whole and in order.
func TestWriterDeferConcurrent(t *testing.T) {
	defer watchdog(t, 60*time.Second)()
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		wr := NewWriter(w, 4<<10)
		const senders, each = 4, 300
		got := make(chan []byte, 1)
		go func() {
			var all bytes.Buffer
			buf := make([]byte, 64<<10)
			for all.Len() < senders*each*len("s0 00000\n") {
				n, err := r.Read(buf)
				if err != nil {
					break
				}
				all.Write(buf[:n])
			}
			got <- all.Bytes()
		}()
		var wg sync.WaitGroup
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					frame := fmt.Appendf(nil, "s%d %05d\n", s, i)
					var err error
					switch i % 4 {
					case 0, 1:
						if !wr.Defer(frame, time.Now()) {
							err = wr.Send(context.Background(), frame)
						}
					case 2:
						err = wr.Send(context.Background(), frame)
						wr.Flush()
					default:
						for {
							var ok bool
							if ok, err = wr.TrySendBlobs(frame, nil); ok || err != nil {
								break
							}
							<-wr.Space()
						}
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
				wr.Flush()
			}()
		}
		wg.Wait()
		wr.Close(true)
		all := <-got
		next := make([]int, senders)
		for _, line := range strings.Split(strings.TrimSuffix(string(all), "\n"), "\n") {
			var s, i int
			if _, err := fmt.Sscanf(line, "s%d %d", &s, &i); err != nil || s < 0 || s >= senders {
				t.Fatalf("bad line %q in the output", line)
			}
			if i != next[s] {
				t.Fatalf("sender %d: frame %d after %d", s, i, next[s]-1)
			}
			next[s]++
		}
		for s, n := range next {
			if n != each {
				t.Errorf("sender %d: %d frames arrived, want %d", s, n, each)
			}
		}
	})
}

// countingReader counts its Reads; on a pipe it has the pipe's deadlines,
// which make a Framer Wakeable.
type countingReader struct {
	io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.Reader.Read(p)
}

type countingPipe struct {
	*os.File
	countingReader
}

func (c *countingPipe) Read(p []byte) (int, error) { return c.countingReader.Read(p) }

// BeforeRead's func runs before every read of the Framer's reader, on a
// Wakeable Framer too, and wherever the read is: between frames, inside
// one and inside its blobs.
func TestFramerBeforeRead(t *testing.T) {
	in := []byte("{\"a\":1}\n{\"b\":\"two\",\"blobs\":[5]}\nhello{\"c\":3}\n")
	for _, wake := range []bool{false, true} {
		t.Run(fmt.Sprintf("wakeable=%v", wake), func(t *testing.T) {
			cr := &countingReader{Reader: iotest.OneByteReader(bytes.NewReader(in))}
			var src io.Reader = cr
			if wake {
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer pr.Close()
				go func() {
					for _, b := range in { // a byte per write, so a read per byte
						pw.Write([]byte{b})
						time.Sleep(100 * time.Microsecond)
					}
					pw.Close()
				}()
				cp := &countingPipe{File: pr, countingReader: countingReader{Reader: pr}}
				src, cr = cp, &cp.countingReader
			}
			f := NewFramer(src, 0)
			if wake && !f.Wakeable() {
				t.Fatal("a Framer on a pipe is not Wakeable")
			}
			var calls, early int
			f.BeforeRead(func() {
				if cr.reads != calls {
					early++ // a read went by without the func
				}
				calls++
			})
			var frames int
			for {
				fr, err := f.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				frames++
				if bytes.Contains(fr.Data, []byte("blobs")) {
					if b, err := f.ReadBlobs([]int64{5}, true); err != nil || string(b[0]) != "hello" {
						t.Fatalf("blob %q, %v", b, err)
					}
				}
			}
			if frames != 3 {
				t.Errorf("%d frames, want 3", frames)
			}
			if calls != cr.reads || early != 0 || calls < len(in) {
				t.Errorf("BeforeRead ran %d times (%d out of step) for %d reads of %d bytes", calls, early, cr.reads, len(in))
			}
		})
	}
}

// Defer never grows the queue past its limit: over it, it takes nothing
// and reports so, and the sender's Send then waits for room.
func TestWriterDeferRefusesAFullQueue(t *testing.T) {
	defer watchdog(t, 30*time.Second)()
	w, g := fillQueue(t, 100)
	before := w.queued()
	if w.Defer([]byte("held\n"), time.Now()) {
		t.Fatal("Defer took a frame with the queue at its limit")
	}
	if n := w.queued(); n != before {
		t.Fatalf("the queue grew from %d to %d bytes", before, n)
	}
	close(g.release)
	w.Close(true)
	if _, all := g.all(); bytes.Contains(all, []byte("held")) {
		t.Fatalf("the refused frame was written: %q", all)
	}
}
