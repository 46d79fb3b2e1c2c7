package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
)

// pendingCall is a call this end made, waiting for its response.
type pendingCall struct {
	// done gets one value when the call is over (a channel of one, so that
	// a pendingCall can be reused: see getPending). Whoever takes the call
	// from c.pending sends it, last thing it does with the call.
	done   chan struct{}
	what   string  // the call, for a stream's errors
	stream *Stream // set by the first item of a streamed response (stream.go)
	resp   wire.Response
	blobs  [][]byte
	err    error
	// onDone, when set, is called by the reader instead of signaling done.
	onDone func(*pendingCall)
}

func (p *pendingCall) finish() {
	if p.onDone != nil {
		p.onDone(p)
		return
	}
	p.done <- struct{}{}
}

// pendingPool holds the pendingCalls of calls that are over, with their
// done channels, so that a call allocates neither.
var pendingPool = sync.Pool{New: func() any { return &pendingCall{done: make(chan struct{}, 1)} }}

func getPending(what string) *pendingCall {
	p := pendingPool.Get().(*pendingCall)
	p.what = what
	return p
}

// putPending recycles p, a call whose response was delivered (done has
// been sent, by the one that took p from c.pending) and that is no
// stream: nobody else refers to it.
func putPending(p *pendingCall) {
	select {
	case <-p.done: // not received: awaitDone saw the end another way
	default:
	}
	*p = pendingCall{done: p.done}
	pendingPool.Put(p)
}

// Reply is the peer's answer to a call: its response frame and blobs.
type Reply struct {
	wire.Response
	Blobs [][]byte
	// Stream is set when the peer answered with a stream (PROTOCOL.md
	// section 6): its items follow, read with Next.
	Stream *Stream
}

// Call sends req, with a fresh sequence, and the blobs its args name, and
// waits for the response or for ctx to end (ctx may be nil). what names
// the call in errors ("namespace.name"). A response carrying an error is
// returned as a reply, not as an error: the caller words it. A deadline
// travels as the call's timeout when the peer takes one; when ctx ends
// first the call returns at once and the peer is told to cancel it.
func (c *Conn) Call(ctx context.Context, what string, req *wire.Request, blobs [][]byte) (*Reply, error) {
	rep := new(Reply)
	if err := c.CallReply(ctx, what, req, blobs, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// CallReply is Call with the reply written to *rep, which the caller
// provides (a variable of its own: a call then allocates no Reply).
func (c *Conn) CallReply(ctx context.Context, what string, req *wire.Request, blobs [][]byte, rep *Reply) error {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return ContextError(what, 0, err)
		}
		if dl, ok := ctx.Deadline(); ok && c.PeerHas(wire.FeatureTimeout) && (req.Type == wire.TypeCall || req.Type == wire.TypeCallback) {
			req.Timeout = max(int64(time.Until(dl)), 1)
		}
	}
	p := getPending(what)
	seq, err := c.start(ctx, req, blobs, p)
	if err != nil {
		if ctx != nil && ctx.Err() != nil {
			return ContextError(what, seq, ctx.Err())
		}
		return fmt.Errorf("service %s: %w", what, c.explain(err))
	}
	if !c.await(ctx, p) {
		if c.take(seq) == nil {
			<-p.done // the response won the race
		} else {
			// A deadline that travelled as the call's timeout expires at
			// the peer on its own; anything else is canceled explicitly.
			if !(req.Timeout != 0 && errors.Is(ctx.Err(), context.DeadlineExceeded)) {
				c.sendCancel(seq)
			}
			return ContextError(what, seq, ctx.Err())
		}
	}
	if p.err != nil {
		return fmt.Errorf("service %s: %w", what, c.explain(p.err))
	}
	*rep = Reply{Response: p.resp, Blobs: p.blobs, Stream: p.stream}
	if p.stream == nil {
		putPending(p)
	}
	return nil
}

// explain adds Config.ExplainEnd's account of the connection's end to an
// error that matches ErrClosed. It runs in the caller's goroutine.
func (c *Conn) explain(err error) error {
	if c.cfg.ExplainEnd != nil && errors.Is(err, ErrClosed) {
		return c.cfg.ExplainEnd(err)
	}
	return err
}

// register records p as waiting for the response to seq.
// On a serving connection it also wakes a reader waiting for room (see
// admit): from now on it must not wait, this call's reply being its to read.
func (c *Conn) register(seq uint64, p *pendingCall) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.pending[seq] = p
	c.mu.Unlock()
	if c.reg.Load() != nil {
		c.signalRoom()
	}
	return nil
}

// take removes and returns the pending call seq, nil when there is none
// (a response nobody waits for is dropped).
func (c *Conn) take(seq uint64) *pendingCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[seq]
	delete(c.pending, seq)
	return p
}

// isPending reports whether a call of this end waits for seq.
func (c *Conn) isPending(seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pending[seq]
	return ok
}

// start registers p and sends req with a fresh sequence, which it returns.
func (c *Conn) start(ctx context.Context, req *wire.Request, blobs [][]byte, p *pendingCall) (uint64, error) {
	req.Sequence = c.seq.Add(1)
	if err := c.register(req.Sequence, p); err != nil {
		return req.Sequence, err
	}
	req.Blobs = blobLengths(blobs)
	frame := wire.AppendRequest(wire.GetBuf(), req)
	defer wire.PutBuf(frame)
	if size := wire.FrameSize(int64(len(frame)), req.Blobs); size > int64(c.maxFrame()) {
		c.take(req.Sequence)
		return req.Sequence, fmt.Errorf("%w: request of %d bytes is over the frame limit of %d bytes", wire.ErrTooLarge, size, c.maxFrame())
	}
	if err := c.sendRequest(ctx, frame, blobs); err != nil {
		c.take(req.Sequence)
		if ctx != nil && ctx.Err() != nil {
			return req.Sequence, err
		}
		return req.Sequence, ClosedError(err)
	}
	return req.Sequence, nil
}

// sendCancel asks the peer to cancel call seq, without waiting for room
// in the writer's queue: a caller that gave up returns at once.
func (c *Conn) sendCancel(seq uint64) {
	if !c.PeerHas(wire.FeatureCancel) {
		return
	}
	frame := wire.AppendRequest(wire.GetBuf(), &wire.Request{Sequence: seq, Type: wire.TypeCancel})
	c.wr.TrySendBlobs(frame, nil) // dropped if the queue is full
	wire.PutBuf(frame)
}

func blobLengths(blobs [][]byte) []int64 {
	if len(blobs) == 0 {
		return nil
	}
	n := make([]int64, len(blobs))
	for i, b := range blobs {
		n[i] = int64(len(b))
	}
	return n
}
