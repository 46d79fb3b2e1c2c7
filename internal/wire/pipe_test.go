package wire

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// A Framer on an OS pipe: frames, blobs, a Wake while it waits, the end
// of the stream and a closed descriptor.
func TestFramerOnAPipe(t *testing.T) {
	t.Run("open", func(t *testing.T) {
		forPipes(t, func(t *testing.T, r, w pipeEnd) {
			f := NewFramer(r, 1<<20)
			if !f.Wakeable() {
				t.Fatal("a pipe is not wakeable")
			}
			const msg = `{"sequence":1,"reply":[3],"blobs":[5]}` + "\n" + "hello"
			if _, err := w.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			fr, err := f.Next()
			if err != nil || string(fr.Data) != msg[:len(msg)-6] {
				t.Fatalf("Next: %q, %v", fr.Data, err)
			}
			blobs, err := f.ReadBlobs([]int64{5}, true)
			if err != nil || len(blobs) != 1 || string(blobs[0]) != "hello" {
				t.Fatalf("ReadBlobs: %q, %v", blobs, err)
			}
			// Woken while it waits; then it goes on with what comes.
			done := make(chan error, 1)
			go func() { _, err := f.Next(); done <- err }()
			time.Sleep(10 * time.Millisecond) // let it wait (either way, Wake ends it)
			f.Wake()
			select {
			case err := <-done:
				if !errors.Is(err, ErrWoken) {
					t.Fatalf("woken Next: %v, want ErrWoken", err)
				}
			case <-time.After(10 * time.Second): // a watchdog
				t.Fatal("Wake did not end the wait")
			}
			w.Write([]byte(`{"sequence":2}`))
			w.Close()
			if fr, err := f.Next(); err != nil || string(fr.Data) != `{"sequence":2}` {
				t.Fatalf("after the wake: %q, %v", fr.Data, err)
			}
			if _, err := f.Next(); err != io.EOF {
				t.Fatalf("at the end: %v, want io.EOF", err)
			}
		})
	})
	t.Run("closed", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		f := NewFramer(r, 1<<20)
		r.Close()
		if _, err := f.Next(); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("on a closed pipe: %v, want os.ErrClosed", err)
		}
	})
}
