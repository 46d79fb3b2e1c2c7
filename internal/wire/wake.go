package wire

import (
	"errors"
	"os"
	"sync"
	"time"
)

// ErrWoken is returned by Next and ReadBlobs when Wake ended their wait.
// It is not an error of the stream: the Framer keeps what it had read, and
// the next call goes on where the woken one stopped.
var ErrWoken = errors.New("woken while waiting for input")

// waker interrupts a read in progress through the reader's read deadline.
type waker struct {
	dl      interface{ SetReadDeadline(time.Time) error }
	mu      sync.Mutex
	waiting bool // a read is in progress
	armed   bool // Wake set the deadline to interrupt it
	pending bool // Wake came while no read was in progress
}

// Wakeable makes the Framer's reads interruptible by Wake and reports
// whether it could: the reader needs a working read deadline (pipes,
// FIFOs, sockets, net.Pipe). It is then safe to stop reading at any point
// (a caller whose context ended) and to go on later, from any goroutine,
// one at a time.
func (f *Framer) Wakeable() bool {
	if f.wk != nil {
		return true
	}
	dl, ok := f.r.(interface{ SetReadDeadline(time.Time) error })
	if !ok || dl.SetReadDeadline(time.Time{}) != nil {
		return false
	}
	f.wk = &waker{dl: dl}
	return true
}

// Wake ends the wait of a Next or ReadBlobs in progress, or of the next
// one, with ErrWoken. It may be called from any goroutine; it does nothing
// unless the Framer is Wakeable.
func (f *Framer) Wake() {
	w := f.wk
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.waiting {
		w.pending = true
		return
	}
	if !w.armed {
		w.armed = true
		w.dl.SetReadDeadline(time.Unix(1, 0))
	}
}

// readOnce is one Read of the underlying reader, which Wake may end.
func (f *Framer) readOnce(p []byte) (int, error) {
	if f.before != nil {
		f.before()
	}
	w := f.wk
	if w == nil {
		return f.r.Read(p)
	}
	w.mu.Lock()
	if w.pending {
		w.pending = false
		w.mu.Unlock()
		return 0, ErrWoken
	}
	w.waiting = true
	w.mu.Unlock()
	n, err := f.r.Read(p)
	w.mu.Lock()
	w.waiting = false
	if w.armed {
		w.armed = false
		w.dl.SetReadDeadline(time.Time{})
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = ErrWoken
		}
	}
	w.mu.Unlock()
	return n, err
}
