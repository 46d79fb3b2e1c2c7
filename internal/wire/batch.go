package wire

import (
	"context"
	"errors"
)

// SendExtendable is SendBlobs for a frame without blobs whose last bytes
// are "]}\n", the end of an array member: while the frame waits in the
// queue, its owner may add elements to that array with Extend. The frame
// always goes through the queue, never written by the sender itself: the
// writer's goroutine takes it once it runs, and what the owner added by
// then goes with it.
func (w *Writer) SendExtendable(ctx context.Context, frame []byte, owner any) error {
	return w.enqueueOwned(ctx, frame, nil, owner)
}

// Extend adds elem, a JSON value, as the last element of the array that
// ends owner's frame, when that frame, sent with SendExtendable, is still
// the last of the queue, not yet taken by a write, and stays within max
// bytes (its newline not counted). It reports whether it did; it never
// waits. The frame grows by len(elem)+1 bytes.
func (w *Writer) Extend(owner any, elem []byte, max int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.queue)
	if owner == nil || w.tail != owner || w.closed || n < 3 || n >= w.limit ||
		n-w.tailStart-1+1+len(elem) > max {
		return false
	}
	w.queue = append(append(append(w.queue[:n-3], ','), elem...), "]}\n"...)
	return true
}

// EachElement calls f with the raw JSON of each element of the JSON
// array data, in order, as subslices of data. It fails, having called f
// for the elements before, when data is not an array.
func EachElement(data []byte, f func(elem []byte)) error {
	p := parser{data: data, pos: spaceEnd(data, 0)}
	for more := p.array("reply", "an array"); more; more = p.element() {
		start := p.pos
		p.skip()
		if p.err != "" {
			break
		}
		f(data[start:p.pos])
	}
	if p.err == "" && spaceEnd(data, p.pos) != len(data) {
		p.fail("data after the array")
	}
	if p.err != "" {
		return errors.New(p.err)
	}
	return nil
}

// queued returns how many bytes wait in the queue (for tests).
func (w *Writer) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}
