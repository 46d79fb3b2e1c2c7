//go:build unix

package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/hostcall/hostcall/internal/fdpipe"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// The Writer's fast path writes straight to a pipe's descriptor, without
// blocking, from the sender's goroutine. These tests run it on real OS
// pipes: os.Pipe files are non-blocking, so rawConn finds the descriptor.

// pipeEnd is what a connection's end offers: *os.File and, adopted out
// of the runtime's netpoller, *fdpipe.File.
type pipeEnd interface {
	io.ReadWriteCloser
	syscall.Conn
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// forPipes runs fn on a fresh OS pipe, as os.Pipe makes it and as the
// host and plugins use it, adopted by fdpipe.
func forPipes(t *testing.T, fn func(t *testing.T, r, w pipeEnd)) {
	for _, adopt := range []bool{false, true} {
		name := "os.File"
		if adopt {
			name = "fdpipe"
		}
		t.Run(name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			var re, we pipeEnd = r, w
			if adopt {
				re = fdpipe.Adopt(r).(pipeEnd)
				we = fdpipe.Adopt(w).(pipeEnd)
				if _, ok := re.(*os.File); ok {
					t.Fatal("fdpipe.Adopt kept the os.Pipe file")
				}
			}
			t.Cleanup(func() { re.Close(); we.Close() })
			fn(t, re, we)
		})
	}
}

func TestWriterFastPathIsUsedOnPipes(t *testing.T) {
	forPipes(t, func(t *testing.T, _, w pipeEnd) {
		if rawConn(w) == nil {
			t.Fatal("rawConn(os.Pipe writer) = nil: the fd fast path is not exercised on pipes")
		}
	})
}

// More pieces than one writev takes (IOV_MAX): every byte arrives, in
// order.
func TestWriterFDManyBlobs(t *testing.T) {
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		wr := NewWriter(w, 0)
		defer wr.Close(true)
		var blobs [][]byte
		var want bytes.Buffer
		frame := []byte("{\"sequence\":1}\n")
		want.Write(frame)
		for i := 0; i < 3*iovMax+7; i++ {
			b := []byte(fmt.Sprintf("<%d>", i))
			blobs = append(blobs, b)
			want.Write(b)
		}
		got := make(chan []byte, 1)
		go func() {
			b := make([]byte, want.Len())
			io.ReadFull(r, b)
			got <- b
		}()
		if err := wr.SendBlobs(context.Background(), frame, blobs); err != nil {
			t.Fatal(err)
		}
		select {
		case b := <-got:
			if !bytes.Equal(b, want.Bytes()) {
				t.Fatalf("%d blobs through writev: bytes differ from what was sent", len(blobs))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the reader did not get every byte")
		}
	})
}

// A frame larger than the pipe's buffer: the fast path writes what the
// pipe takes, queues the rest at the head of the queue, and frames sent
// meanwhile follow it, whole.
func TestWriterFDPartialWrite(t *testing.T) {
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		wr := NewWriter(w, 8<<20)
		defer wr.Close(true)
		big := bytes.Repeat([]byte("a"), 3<<20)
		big[len(big)-1] = '\n'
		small := []byte("{\"sequence\":2}\n")
		if err := wr.Send(context.Background(), big); err != nil {
			t.Fatal(err)
		}
		if err := wr.Send(context.Background(), small); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, len(big)+len(small))
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[:len(big)], big) || !bytes.Equal(b[len(big):], small) {
			t.Fatal("a partial fast-path write was not completed before the next frame")
		}
	})
}

// Close while a sender waits for room, the peer reading nothing: the
// sender is released with ErrWriterClosed, and Close returns once the
// blocked write is interrupted through the pipe's deadline.
func TestWriterFDCloseWhileSenderWaits(t *testing.T) {
	forPipes(t, func(t *testing.T, _, w pipeEnd) {
		wr := NewWriter(w, 64<<10)
		chunk := bytes.Repeat([]byte("b"), 64<<10)
		errs := make(chan error, 1)
		go func() {
			for {
				if err := wr.Send(context.Background(), chunk); err != nil {
					errs <- err
					return
				}
			}
		}()
		time.Sleep(50 * time.Millisecond) // pipe, queue full: the sender waits
		closed := make(chan struct{})
		go func() {
			w.SetWriteDeadline(time.Unix(1, 0))
			wr.Close(false)
			close(closed)
		}()
		select {
		case err := <-errs:
			if !errors.Is(err, ErrWriterClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("waiting sender got %v, want ErrWriterClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a sender waiting for room was not released by Close")
		}
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not return")
		}
	})
}

// A write error (the reader gone: EPIPE) stops the writer and reaches the
// next sender, on the fast path too.
func TestWriterFDBrokenPipe(t *testing.T) {
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		wr := NewWriter(w, 0)
		defer wr.Close(false)
		r.Close()
		var err error
		for i := 0; i < 3 && err == nil; i++ {
			err = wr.Send(context.Background(), []byte("{\"sequence\":1}\n"))
			time.Sleep(10 * time.Millisecond)
		}
		if err == nil {
			err = wr.Err()
		}
		if err == nil {
			t.Fatal("writing to a pipe without reader: no error")
		}
	})
}

// A frame written straight to the pipe allocates nothing once warm.
func TestWriterFDSendAllocatesNothing(t *testing.T) {
	forPipes(t, func(t *testing.T, r, w pipeEnd) {
		wr := NewWriter(w, 0)
		t.Cleanup(func() { wr.Close(false) })
		done := make(chan struct{})
		go func() {
			defer close(done)
			io.Copy(io.Discard, r)
		}()
		t.Cleanup(func() { w.Close(); <-done })
		frame := []byte(`{"sequence":1,"reply":[3]}` + "\n")
		blobs := [][]byte{[]byte("blob one"), []byte("blob two")}
		wr.SendBlobs(nil, frame, blobs) // warm
		n := testing.AllocsPerRun(200, func() {
			if err := wr.SendBlobs(nil, frame, blobs); err != nil {
				t.Fatal(err)
			}
		})
		// The queue's buffer may grow when the pipe is full and the reader
		// behind; a steady state allocates nothing.
		if n > 0.1 {
			t.Errorf("SendBlobs on a pipe: %v allocations per frame, want 0", n)
		}
	})
}

func BenchmarkWriterFDSend(b *testing.B) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	wr := NewWriter(w, 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(io.Discard, r)
	}()
	frame := []byte(`{"sequence":1,"reply":[3]}` + "\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := wr.SendBlobs(nil, frame, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	wr.Close(true)
	w.Close()
	<-done
	r.Close()
}

// countingFile is a user's writer built on a pipe: it embeds the file,
// so it has the file's SyscallConn, and writes through a Write of its own.
type countingFile struct {
	*os.File
	writes int
}

func (c *countingFile) Write(p []byte) (int, error) {
	c.writes++
	return c.File.Write(p)
}

// The Writer writes straight to the descriptor only of the types it
// knows (*os.File, *fdpipe.File): a type that embeds one has a Write of
// its own, which every frame must go through.
func TestWriterUsesTheWritersOwnWrite(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cf := &countingFile{File: w}
	defer cf.Close()
	if rawConn(cf) != nil {
		t.Fatal("rawConn found the descriptor of a type with its own Write")
	}
	wr := NewWriter(cf, 0)
	frame := []byte("{\"sequence\":1}\n")
	if err := wr.Send(context.Background(), frame); err != nil {
		t.Fatal(err)
	}
	wr.Close(true)
	got := make([]byte, len(frame))
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, frame) {
		t.Fatalf("read %q, %v", got, err)
	}
	if cf.writes == 0 {
		t.Error("the frame went around the writer's own Write")
	}
}
