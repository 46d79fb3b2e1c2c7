package wire

import (
	"context"
	"errors"
	"io"
	"sync"
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
	limit int

	mu     sync.Mutex
	queue  []byte
	spare  []byte
	space  chan struct{} // closed when the queue is taken or the writer ends
	closed bool
	err    error

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
func (w *Writer) Send(ctx context.Context, frame []byte) error {
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Done()
	}
	w.mu.Lock()
	for len(w.queue) >= w.limit && !w.closed {
		ch := w.space
		w.mu.Unlock()
		select {
		case <-ch:
		case <-cancel:
			return ctx.Err()
		}
		w.mu.Lock()
	}
	if w.closed {
		err := w.err
		w.mu.Unlock()
		if err == nil {
			err = ErrWriterClosed
		}
		return err
	}
	w.queue = append(w.queue, frame...)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
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
		w.signalSpace()
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
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
		for len(w.queue) == 0 {
			if w.closed {
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		out := w.queue
		w.queue = w.spare[:0]
		w.spare = nil
		w.signalSpace()
		w.mu.Unlock()

		_, err := w.w.Write(out)

		w.mu.Lock()
		if cap(out) <= 4*w.limit {
			w.spare = out[:0]
		}
		if err != nil {
			w.err = err
			w.closed = true
			w.queue = nil
			w.signalSpace()
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}
