package wire

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// ErrWriterClosed is returned by Send after Close.
var ErrWriterClosed = errors.New("writer closed")

// DefaultQueueLimit is how many bytes may wait for the writer before Send
// blocks: the writer's share of a connection's backpressure.
const DefaultQueueLimit = 1 << 20

// Writer serializes the frames of a connection through one goroutine. Frames
// sent while a write is in progress are queued and go out together in the
// next single write, so a busy connection makes few syscalls and an idle one
// writes at once. When the queue holds more than its limit, Send waits: a
// peer that stops reading slows its senders down instead of growing memory.
type Writer struct {
	w     io.Writer
	raw   *rawWriter // w's descriptor, for writes that must not block
	limit int

	mu      sync.Mutex
	queue   []byte
	spare   []byte
	parts   [][]byte      // scratch of the writes that hold writing
	space   chan struct{} // closed when the queue is taken or the writer ends
	writing bool          // a write is in progress, by the loop or a sender
	closed  bool
	err     error
	// tail owns the last frame of the queue, which ends "]}\n" and may be
	// extended by Extend until the writer takes it; nil when there is none.
	tail      any
	tailStart int // where that frame begins in the queue

	// held is set while the queue holds frames that Defer left for a
	// later write, since heldAt.
	held   atomic.Bool
	heldAt time.Time

	wake chan struct{}
	done chan struct{}
}

// NewWriter starts a Writer on w. limit <= 0 means DefaultQueueLimit.
func NewWriter(w io.Writer, limit int) *Writer {
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	wr := &Writer{
		w:     w,
		raw:   newRawWriter(w),
		limit: limit,
		space: make(chan struct{}),
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	go wr.loop()
	return wr
}

// Send queues one encoded frame (its bytes are copied). It waits while the
// queue is over its limit, until there is room, ctx ends (ctx may be nil) or
// the writer fails or closes. A nil error means the frame was queued, not
// that the peer read it.
//
// When nothing is queued or being written and w has a descriptor, Send
// writes the frame itself with one write that does not block, sparing the
// hand-off to the writer's goroutine; what the pipe cannot take at once is
// queued.
func (w *Writer) Send(ctx context.Context, frame []byte) error {
	return w.SendBlobs(ctx, frame, nil)
}

// TrySendBlobs is SendBlobs that never waits: it reports false, having
// sent nothing, when the queue is over its limit.
func (w *Writer) TrySendBlobs(frame []byte, blobs [][]byte) (bool, error) {
	w.mu.Lock()
	if w.joinHeld(frame, blobs) {
		return true, nil
	}
	if w.direct() {
		return true, w.sendNow(frame, blobs) // unlocks
	}
	w.mu.Unlock()
	err := w.enqueue(doneContext, frame, blobs)
	if err == errQueueFull {
		return false, nil
	}
	return err == nil, err
}

// errQueueFull is enqueue's answer to a done context when it would wait.
var errQueueFull = errors.New("queue full")

// doneContext is already done: enqueue with it does not wait.
var doneContext = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// Space returns a channel closed once the queue has room again (or the
// writer has ended): what TrySendBlobs waits for.
func (w *Writer) Space() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) < w.limit || w.closed {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return w.space
}

// SendBlobs is Send for a frame followed by raw blobs (PROTOCOL.md section
// 6): frame, which must end with its newline, then each blob, written as
// one unit that no other frame can split.
func (w *Writer) SendBlobs(ctx context.Context, frame []byte, blobs [][]byte) error {
	w.mu.Lock()
	if w.joinHeld(frame, blobs) {
		return nil
	}
	if w.direct() {
		return w.sendNow(frame, blobs) // unlocks
	}
	w.mu.Unlock()
	return w.enqueue(ctx, frame, blobs)
}

// direct reports whether a frame may be written at once by its sender
// (sendNow): w has a descriptor, and nothing is being written or queued
// once the frames Defer held have been written. w.mu is held; it is
// released during that write.
func (w *Writer) direct() bool {
	if w.raw == nil || w.writing || w.closed {
		return false
	}
	if len(w.queue) > 0 && w.held.Load() {
		w.drain()
	}
	return len(w.queue) == 0 && !w.writing && !w.closed
}

// joinHeld writes frame in one write with the frames Defer held, when
// there are some and it has no blobs. w.mu is held; joinHeld releases it
// when it reports true.
func (w *Writer) joinHeld(frame []byte, blobs [][]byte) bool {
	if !w.held.Load() || len(blobs) > 0 || w.closed || len(w.queue) >= w.limit {
		return false
	}
	w.tail = nil
	w.queue = append(w.queue, frame...)
	w.flushLocked()
	return true
}

// maxHold bounds how long Defer leaves a frame unwritten while more are
// deferred behind it, and maxHeld how many bytes it leaves.
const (
	maxHold = 100 * time.Microsecond
	maxHeld = 32 << 10
)

// Defer queues frame (its bytes are copied) without writing it: the next
// Flush, Send or write of the writer's goroutine writes it with whatever
// was queued meanwhile. It is for a sender that has more frames to send at
// once (a reader answering a batch of requests) and will call Flush
// before it waits for anything: the batch then goes out in one write.
// It never waits: once the held frames reach maxHeld bytes, or the first
// of them was held since before maxHold before now, it writes them, as
// Flush does. It reports false, having queued nothing, when the queue is
// over its limit or the writer has ended: the sender sends the frame with
// Send then, which waits for room (or reports the error).
func (w *Writer) Defer(frame []byte, now time.Time) bool {
	w.mu.Lock()
	if w.closed || len(w.queue) >= w.limit {
		w.mu.Unlock()
		return false
	}
	if !w.held.Load() {
		w.held.Store(true)
		w.heldAt = now
	}
	w.tail = nil
	w.queue = append(w.queue, frame...)
	if len(w.queue) >= maxHeld || now.Sub(w.heldAt) > maxHold {
		w.flushLocked() // unlocks
		return true
	}
	w.mu.Unlock()
	return true
}

// Flush writes the frames that Defer held, if any, without blocking: what
// the descriptor does not take at once is left to the writer's goroutine.
// It is cheap when nothing is held, and safe from any goroutine.
func (w *Writer) Flush() {
	if !w.held.Load() {
		return
	}
	w.mu.Lock()
	w.flushLocked()
}

// flushLocked is Flush with w.mu held, which it releases.
func (w *Writer) flushLocked() {
	w.held.Store(false)
	if w.raw != nil && !w.writing && !w.closed {
		w.drain()
	}
	// A write in progress takes the queue when it ends (sendNow, loop).
	pending := len(w.queue) > 0 && !w.writing
	w.mu.Unlock()
	if pending {
		w.wakeLoop()
	}
}

// sendNow writes frame and blobs without blocking, called with w.mu held,
// which it releases. What the descriptor does not take at once goes to the
// head of the queue.
func (w *Writer) sendNow(frame []byte, blobs [][]byte) error {
	w.writing = true
	w.mu.Unlock()
	// w.parts belongs to the sender that set writing, until it clears it
	// with w.mu held.
	parts := append(append(w.parts[:0], frame), blobs...)
	n, err := w.raw.write(parts)
	w.mu.Lock()
	w.writing = false
	rest := skip(parts, n)
	if err == nil && len(rest) > 0 {
		head := w.spare[:0]
		for _, p := range rest {
			head = append(head, p...)
		}
		w.queue = append(head, w.queue...)
		w.spare = nil
		w.tail = nil // its offset moved
	}
	clear(parts) // let go of the caller's buffers
	w.parts = parts[:0]
	if err != nil {
		w.fail(err)
		w.mu.Unlock()
		return err
	}
	if len(rest) == 0 {
		w.drain() // frames queued meanwhile: one more write, no hand-off
	}
	// After Close the loop waits for this write to end before it exits.
	pending := len(w.queue) > 0 || w.closed
	w.mu.Unlock()
	if pending {
		w.wakeLoop()
	}
	return nil
}

// take takes the queue for a write, leaving the spare buffer in its
// place; w.mu is held.
func (w *Writer) take() []byte {
	out := w.queue
	w.queue = w.spare[:0]
	w.spare = nil
	w.tail = nil
	w.writing = true
	w.held.Store(false) // what Defer held is being written
	w.signalSpace()
	return out
}

// recycle keeps a written queue's buffer as the next spare, unless it grew
// far past the limit; w.mu is held.
func (w *Writer) recycle(out []byte) {
	if cap(out) <= 4*w.limit {
		w.spare = out[:0]
	}
}

// drain writes what was queued while a sender wrote, without blocking,
// for as long as the descriptor takes it all: under load, the frames of
// many senders go out in one write by the last of them, and the writer's
// goroutine is woken only for what the pipe refuses. w.mu is held; it is
// released during the writes.
func (w *Writer) drain() {
	for len(w.queue) > 0 && !w.closed && !w.writing {
		out := w.take()
		w.mu.Unlock()
		one := append(w.parts[:0], out)
		n, err := w.raw.write(one)
		clear(one)
		w.parts = one[:0]
		w.mu.Lock()
		w.writing = false
		if err != nil {
			w.fail(err)
			return
		}
		if n < len(out) {
			w.queue = append(out[n:len(out):len(out)], w.queue...)
			w.tail = nil // its offset moved
			return
		}
		w.recycle(out)
	}
}

func (w *Writer) wakeLoop() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// fail records a write error and stops the writer; w.mu is held.
func (w *Writer) fail(err error) {
	w.err = err
	w.closed = true
	w.queue = nil
	w.tail = nil
	w.signalSpace()
}

// skip drops the first n bytes of parts.
func skip(parts [][]byte, n int) [][]byte {
	for len(parts) > 0 && n >= len(parts[0]) {
		n -= len(parts[0])
		parts = parts[1:]
	}
	if len(parts) > 0 {
		parts[0] = parts[0][n:]
	}
	return parts
}

// enqueue queues frame and blobs for the writer's goroutine.
func (w *Writer) enqueue(ctx context.Context, frame []byte, blobs [][]byte) error {
	return w.enqueueOwned(ctx, frame, blobs, nil)
}

// enqueueOwned is enqueue for a frame that owner may extend (Extend) while
// it is the queue's last; owner nil for any other frame.
func (w *Writer) enqueueOwned(ctx context.Context, frame []byte, blobs [][]byte, owner any) error {
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Done()
	}
	w.mu.Lock()
	for len(w.queue) >= w.limit && !w.closed {
		ch := w.space
		w.mu.Unlock()
		if ctx == doneContext {
			return errQueueFull
		}
		select {
		case <-ch:
		case <-cancel:
			return ctx.Err()
		}
		w.mu.Lock()
	}
	if w.closed {
		return w.closedErr() // unlocks
	}
	w.tail, w.tailStart = owner, len(w.queue)
	w.queue = append(w.queue, frame...)
	for _, b := range blobs {
		w.queue = append(w.queue, b...)
	}
	w.mu.Unlock()
	w.wakeLoop()
	return nil
}

// closedErr is the error of a send to a closed writer: the write error
// that closed it, or ErrWriterClosed. w.mu is held; it is released.
func (w *Writer) closedErr() error {
	err := w.err
	w.mu.Unlock()
	if err == nil {
		err = ErrWriterClosed
	}
	return err
}

// Err returns the write error that stopped the writer, if any.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close stops the writer. With flush, frames already queued are written
// first; without, they are dropped. Close waits for the writer's goroutine,
// so a write blocked on a peer that does not read must be interrupted (by
// closing the underlying file or setting its deadline) for Close to return.
func (w *Writer) Close(flush bool) {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		if !flush {
			w.queue = nil
		}
		w.tail = nil
		w.signalSpace()
	}
	w.mu.Unlock()
	w.wakeLoop()
	<-w.done
}

// Done is closed when the writer's goroutine has ended.
func (w *Writer) Done() <-chan struct{} { return w.done }

func (w *Writer) signalSpace() {
	close(w.space)
	w.space = make(chan struct{})
}

func (w *Writer) loop() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for len(w.queue) == 0 || w.writing {
			if w.closed && len(w.queue) == 0 && !w.writing {
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		out := w.take()
		w.mu.Unlock()

		_, err := w.w.Write(out)

		w.mu.Lock()
		w.writing = false
		w.recycle(out)
		if err != nil {
			w.fail(err)
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}
