package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// call is one call from the time it is read until it has answered.
type call struct {
	req     *wire.Request
	blobs   [][]byte
	name    string // "namespace.name", for messages
	ctx     context.Context
	cancel  context.CancelFunc
	started bool // it holds an in-flight slot; otherwise it waits in the queue
	queued  bool // it waited in the queue before it started
}

// startCall runs a call when an in-flight slot is free, or queues it until
// one is. The queue holds as many calls as may run, so that the reader goes
// on reading cancel frames and the end of the stream while the slots are
// busy; only when the queue is full too does the reader wait for room: that
// is the backpressure.
//
// A call with nothing else to read behind it runs inline, on the reader's
// own goroutine: no hand-off through the scheduler, which is most of the
// cost of a small call (see read). If it runs longer than inlineBudget,
// another goroutine takes over reading; startCall then reports handedOff
// and this goroutine stops reading once the call is done.
func (c *conn) startCall(req *wire.Request, blobs [][]byte) (handedOff bool) {
	ctx, cancel := c.callContext(req.Timeout)
	cl := &call{req: req, blobs: blobs, name: req.Namespace + "." + req.Name, ctx: ctx, cancel: cancel}
	for {
		c.mu.Lock()
		if _, dup := c.inflight[req.Sequence]; dup {
			c.mu.Unlock()
			cancel()
			c.replyError(req.Sequence, wire.CodeBadRequest,
				fmt.Sprintf("sequence %d is already in flight (%s): sequences must not be reused", req.Sequence, cl.name))
			return false
		}
		switch {
		case c.running < c.cfg.maxInFlight:
			c.running++
			cl.started = true
			c.inflight[req.Sequence] = cl
			c.calls.Add(1)
			c.mu.Unlock()
			if c.fr.Buffered() > 0 {
				go c.runCall(cl) // more to read: run it beside the reader
				return false
			}
			return c.runInline(cl)
		case len(c.queue) < c.cfg.maxInFlight:
			cl.queued = true
			c.queue = append(c.queue, cl)
			c.inflight[req.Sequence] = cl
			c.mu.Unlock()
			return false
		}
		c.mu.Unlock()
		select {
		case <-c.room:
		case <-c.ctx.Done():
			cancel()
			c.replyError(req.Sequence, callCode(ctx, &registry.ServiceError{Service: cl.name, Err: ctx.Err()}),
				fmt.Sprintf("call %d (%s) did not start: %v", req.Sequence, cl.name, context.Cause(ctx)))
			return false
		}
	}
}

// forget removes cl from the calls in flight, before its response is sent:
// a plugin that has the response may reuse the sequence at once (a reused
// sequence is served normally once its call is over).
func (c *conn) forget(cl *call) {
	c.mu.Lock()
	if c.inflight[cl.req.Sequence] == cl {
		delete(c.inflight, cl.req.Sequence)
	}
	c.mu.Unlock()
}

// finishCall releases cl's slot and hands it to the first queued call.
func (c *conn) finishCall(cl *call) {
	c.mu.Lock()
	if c.inflight[cl.req.Sequence] == cl { // a new call may have its sequence by now
		delete(c.inflight, cl.req.Sequence)
	}
	c.running--
	var next *call
	if len(c.queue) > 0 && c.ctx.Err() == nil {
		next = c.queue[0]
		c.queue = c.queue[1:]
		c.running++
		next.started = true
		c.calls.Add(1)
	}
	c.mu.Unlock()
	cl.cancel()
	c.signalRoom()
	if next != nil {
		go c.runCall(next)
	}
	c.calls.Done()
}

func (c *conn) signalRoom() {
	select {
	case c.room <- struct{}{}:
	default:
	}
}

// dropQueued answers the calls still waiting for a slot when the
// connection ends: they never ran.
func (c *conn) dropQueued() {
	c.mu.Lock()
	queued := c.queue
	c.queue = nil
	for _, cl := range queued {
		delete(c.inflight, cl.req.Sequence)
	}
	c.mu.Unlock()
	for _, cl := range queued {
		cl.cancel()
		c.replyError(cl.req.Sequence, callCode(cl.ctx, &registry.ServiceError{Service: cl.name, Err: cl.ctx.Err()}),
			fmt.Sprintf("call %d (%s) did not start: %v", cl.req.Sequence, cl.name, context.Cause(cl.ctx)))
	}
}

// callContext derives a call's context from the connection's, with the
// request's timeout when it has one: time spent queued counts.
func (c *conn) callContext(timeout int64) (context.Context, context.CancelFunc) {
	if timeout != 0 {
		return context.WithTimeout(c.ctx, time.Duration(timeout))
	}
	return context.WithCancel(c.ctx)
}

// cancelCall cancels call seq. A running call answers itself, usually with
// code canceled; a queued one is answered here and never runs. A cancel for
// no call in flight is ignored.
func (c *conn) cancelCall(seq uint64) {
	c.mu.Lock()
	cl := c.inflight[seq]
	queued := cl != nil && !cl.started
	if queued {
		delete(c.inflight, seq)
		for i, q := range c.queue {
			if q == cl {
				c.queue = append(c.queue[:i], c.queue[i+1:]...)
				break
			}
		}
	}
	c.mu.Unlock()
	if cl == nil {
		return
	}
	cl.cancel()
	if queued {
		c.signalRoom()
		c.replyError(seq, wire.CodeCanceled, fmt.Sprintf("call %d (%s) canceled before it started", seq, cl.name))
	}
}

func (c *conn) runCall(cl *call) {
	defer c.finishCall(cl)
	ctx, req := cl.ctx, cl.req
	if err := ctx.Err(); err != nil && cl.queued {
		// Its deadline passed while it waited for a slot.
		c.forget(cl)
		c.replyError(req.Sequence, callCode(ctx, &registry.ServiceError{Service: cl.name, Err: err}),
			fmt.Sprintf("call %d (%s) did not start: %v", req.Sequence, cl.name, err))
		return
	}
	frame, out, err := c.invoke(ctx, req, cl.blobs)
	c.forget(cl)
	if err != nil {
		c.replyError(req.Sequence, callCode(ctx, err), err.Error())
		return
	}
	c.wr.SendBlobs(c.ctx, frame, out) // an error means the connection is ending
	wire.PutBuf(frame)
}

// minBlob is the size from which a []byte result travels as a blob, when
// the plugin accepts them: below it, base64 in the frame costs less than
// the blob's bookkeeping.
const minBlob = 512

// invoke calls the service and returns its whole response frame and the
// blobs that follow it.
func (c *conn) invoke(ctx context.Context, req *wire.Request, blobs [][]byte) ([]byte, [][]byte, error) {
	svc, err := c.reg.Lookup(req.Namespace, req.Name)
	if err != nil {
		return nil, nil, err
	}
	peer := c.peerHello()
	threshold := -1
	if peer.Has(wire.FeatureBlobs) {
		threshold = minBlob
	}
	head := append(wire.GetBuf(), `{"sequence":`...)
	head = strconv.AppendUint(head, req.Sequence, 10)
	head = append(head, `,"reply":`...)
	buf, out, err := svc.InvokeBlobs(ctx, req.Args, blobs, head, threshold)
	if err != nil {
		wire.PutBuf(buf)
		var pe *registry.PanicError
		if errors.As(err, &pe) {
			c.logf("host: %v (sequence %d)\n%s", pe, req.Sequence, pe.Stack)
		}
		return nil, nil, err
	}
	buf = append(buf, "}\n"...)
	if len(out) > 0 {
		buf = withBlobs(buf, req.Sequence, out)
	}
	size := len(buf)
	for _, b := range out {
		size += len(b)
	}
	if max := c.maxFrameFor(peer); size > max {
		wire.PutBuf(buf)
		return nil, nil, &tooLargeError{fmt.Sprintf("result of %s.%s is %d bytes, over the frame limit of %d bytes",
			req.Namespace, req.Name, size, max)}
	}
	return buf, out, nil
}

// withBlobs rewrites a response frame {"sequence":N,"reply":...} to carry
// the blobs member after its sequence, as senders place it.
func withBlobs(frame []byte, seq uint64, blobs [][]byte) []byte {
	rest := frame[bytes.IndexByte(frame, ',')+1:]
	out := append(wire.GetBuf(), `{"sequence":`...)
	out = strconv.AppendUint(out, seq, 10)
	out = append(out, `,"blobs":[`...)
	for i, b := range blobs {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendInt(out, int64(len(b)), 10)
	}
	out = append(out, "],"...)
	out = append(out, rest...)
	wire.PutBuf(frame)
	return out
}

type tooLargeError struct{ msg string }

func (e *tooLargeError) Error() string { return e.msg }

// callCode classifies a failed call. A service that fails after its context
// ended is reported as canceled or past its deadline, whatever it returned.
func callCode(ctx context.Context, err error) string {
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return wire.CodeTooLarge
	}
	var se *registry.ServiceError
	if errors.As(err, &se) && ctx.Err() != nil {
		if context.Cause(ctx) == errShutdown {
			return wire.CodeUnavailable
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return wire.CodeDeadlineExceeded
		}
		return wire.CodeCanceled
	}
	return codeOf(err)
}
