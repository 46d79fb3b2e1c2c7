package wire

import (
	"errors"
	"os"
	"sync"
	"time"
)

// ErrWoken is returned by NextWakeable when Wake ended its wait for a
// frame to start.
var ErrWoken = errors.New("woken while waiting for a frame")

// waker interrupts a read for the start of a frame through the reader's
// read deadline. It never interrupts a read inside a frame, so the stream
// stays in step.
type waker struct {
	dl      interface{ SetReadDeadline(time.Time) error }
	mu      sync.Mutex
	waiting bool // a read for the start of a frame is in progress
	armed   bool // Wake set the deadline to interrupt it
	pending bool // Wake came while no such read was in progress
}

// Wakeable reports whether NextWakeable can be woken: the reader has a
// working read deadline (pipes, FIFOs, sockets, net.Pipe).
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

// NextWakeable is Next for a Framer that is Wakeable: when Wake is called
// while it waits for a frame to start (or before, since the last frame), it
// returns ErrWoken, and the next call goes on where it stopped. Inside a
// frame it is not interrupted.
func (f *Framer) NextWakeable() (Frame, error) {
	if !f.Wakeable() {
		return f.Next()
	}
	f.wakeable = true
	defer func() { f.wakeable = false }()
	return f.Next()
}

// Wake ends the wait of a NextWakeable in progress, or of the next one,
// with ErrWoken. It may be called from any goroutine.
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

// fillStart is fill for a read at a frame boundary, which Wake may end.
func (f *Framer) fillStart() error {
	w := f.wk
	if !f.wakeable || w == nil {
		return f.fill()
	}
	w.mu.Lock()
	if w.pending {
		w.pending = false
		w.mu.Unlock()
		return ErrWoken
	}
	w.waiting = true
	w.mu.Unlock()
	err := f.fill()
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
	return err
}
