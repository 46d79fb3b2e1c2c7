package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// call is a call the peer made, from the time it is read until it has
// answered.
type call struct {
	// Context is the call's: canceled by the peer's cancel, its timeout
	// or the connection's end. ctx is the call itself, whose Value also
	// finds the call's stream sink (stream.go).
	context.Context
	c       *Conn
	req     wire.Request // a copy: the reader's is reused for the next frame
	blobs   [][]byte
	ctx     context.Context
	cancel  context.CancelFunc
	bytes   int64             // what its arguments and blobs hold, counted in the pending bytes
	started bool              // it holds an in-flight slot; otherwise it waits in the queue
	queued  bool              // it waited in the queue before it started
	svc     *registry.Service // a callback's func; nil: the registry's service
	target  *registry.Service // the registry's service, when admit looked it up
	start   time.Time         // when it started running, for quick

	// A call run inline (runInline): run is its state in the watchdog
	// while it runs, and claimed is set once its reply has claimed it
	// done (sendInline).
	run     uint64
	claimed bool

	// A call whose service returns a stream (stream.go).
	detached bool          // it gave its slot and bytes back: a stream is long
	credit   atomic.Int64  // bytes it may still send
	creditCh chan struct{} // signaled when credit comes; set by Open, under c.mu
}

// admit runs a call when an in-flight slot is free, or queues it until
// one is. The queue holds as many calls as may run, so that the reader goes
// on reading cancel frames and the end of the stream while the slots are
// busy; only when the queue is full too does the reader wait for room: that
// is the backpressure.
//
// The bytes of the arguments and blobs of the calls running and queued are
// bounded too (Config.MaxPendingBytes): a call that does not fit waits,
// with the reader, until calls finish; cancel frames behind it are read
// only then. A call larger than the whole budget is admitted once nothing
// else holds any, so that it runs alone instead of never.
//
// While this end waits for replies from the peer, the reader never waits:
// a call past the bounds is queued all the same (its bytes are read
// already). Otherwise re-entrant calls could deadlock: the running calls
// wait for replies that only this reader can deliver.
//
// A call with nothing else to read behind it runs inline, on the reader's
// own goroutine: no hand-off through the scheduler, which is most of the
// cost of a small call (see serveRead). So does a call of a service whose
// last call was quick (see quick), even with more to read. If a call runs
// longer than inlineBudget, or waits for the peer, another goroutine takes
// over reading.
//
// A callback (svc, which the registry does not hold) always runs on a
// goroutine of its own: the end that lent it may not serve, and then its
// reader is a caller waiting for its own reply.
func (c *Conn) admit(req *wire.Request, blobs [][]byte, svc *registry.Service) {
	var target *registry.Service
	if svc == nil {
		target, _ = c.registry().Lookup(req.Namespace, req.Name)
	}
	ctx, cancel := c.callContext(req.Timeout, target)
	cl := &call{Context: ctx, c: c, req: *req, blobs: blobs, cancel: cancel, svc: svc, target: target}
	cl.ctx = cl
	cl.bytes = callBytes(cl)
	for {
		c.mu.Lock()
		if _, dup := c.inflight[req.Sequence]; dup {
			c.mu.Unlock()
			cancel()
			c.replyError(req.Sequence, wire.CodeBadRequest,
				fmt.Sprintf("sequence %d is already in flight (%s): sequences must not be reused", req.Sequence, cl.name()))
			return
		}
		room := c.roomFor(cl.bytes)
		switch {
		case room && c.running < c.cfg.MaxInFlight:
			c.running++
			cl.started = true
			c.inflight[req.Sequence] = cl
			c.hold(cl)
			c.calls.Add(1)
			c.mu.Unlock()
			if c.rd.caller && c.lent.Load() {
				c.rd.served = true // see readHolding
			}
			if svc != nil || c.rd.caller || c.fr.HasMore() && !c.quick(cl) {
				go c.runCall(cl) // more to read: run it beside the reader
				return
			}
			c.runInline(cl)
			return
		case room && len(c.queue) < c.cfg.MaxInFlight, len(c.pending) > 0:
			// Past the bounds too while this end waits for the peer's
			// replies: only this reader can deliver them, and the calls
			// holding the room may be waiting for them (re-entrant calls).
			cl.queued = true
			c.queue = append(c.queue, cl)
			c.inflight[req.Sequence] = cl
			c.hold(cl)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		cl.queued = true // it waits before it starts, its deadline running
		c.wr.Flush()     // replies held back must not wait with the reader
		select {
		case <-c.room:
		case <-c.ctx.Done():
			cancel()
			c.replyNotStarted(cl)
			return
		}
	}
}

// name is "namespace.name" of cl's service, for messages.
func (cl *call) name() string {
	if cl.svc != nil {
		return cl.svc.Namespace() + "." + cl.svc.Name()
	}
	return cl.req.Namespace + "." + cl.req.Name
}

// quickCall is how long a service's call may have run for the next one to
// run inline although more frames wait behind it (see quick).
const quickCall = 50 * time.Microsecond

// quick reports whether cl, a call of the registry's with more frames to
// read behind it, may run inline all the same: its service's last call
// took under quickCall. Calls of a quick service one after the other on
// the reader's goroutine cost less than a goroutine each (c64 in the
// bench module), and a call that turns out slow still hands reading over
// after inlineBudget. A service not known yet runs on its own goroutine.
func (c *Conn) quick(cl *call) bool {
	if cl.target == nil {
		return true // not in the registry: answered at once, with the error
	}
	q, _ := c.quickSvcs.Load(cl.target)
	return q == true
}

// timed records how long a call of svc took, for quick.
func (c *Conn) timed(svc *registry.Service, d time.Duration) {
	q := d < quickCall
	if old, ok := c.quickSvcs.Load(svc); !ok || old != q {
		c.quickSvcs.Store(svc, q)
	}
}

// replyNotStarted answers a call that never ran: canceled, past its
// deadline or caught by the end of the connection while it waited.
func (c *Conn) replyNotStarted(cl *call) {
	c.replyError(cl.req.Sequence, c.stoppedCode(cl.ctx),
		fmt.Sprintf("call %d (%s) did not start: %v", cl.req.Sequence, cl.name(), context.Cause(cl.ctx)))
}

// runningServices names some of the served calls in flight, for Serve's
// report of calls that outlived the drain timeout.
func (c *Conn) runningServices() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := ""
	n := 0
	for seq, cl := range c.inflight {
		if n == 3 {
			s += ", ..."
			break
		}
		if n > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s (sequence %d)", cl.name(), seq)
		n++
	}
	return fmt.Sprintf("%d calls [%s]", len(c.inflight), s)
}

// forget removes cl from the calls in flight, before its response is sent:
// a peer that has the response may reuse the sequence at once (a reused
// sequence is served normally once its call is over).
func (c *Conn) forget(cl *call) {
	c.mu.Lock()
	if c.inflight[cl.req.Sequence] == cl {
		delete(c.inflight, cl.req.Sequence)
	}
	c.mu.Unlock()
}

// release frees cl's slot and bytes and hands the slot to the first
// queued call.
func (c *Conn) release(cl *call) {
	c.mu.Lock()
	if c.inflight[cl.req.Sequence] == cl { // a new call may have its sequence by now
		delete(c.inflight, cl.req.Sequence)
	}
	if cl.detached { // its slot went to another call when its stream began
		c.mu.Unlock()
		cl.cancel()
		c.reclaim()
		c.calls.Done()
		return
	}
	next := c.giveSlotLocked(cl)
	c.mu.Unlock()
	cl.cancel()
	c.startNext(next)
	c.reclaim() // the peer's next request may come now: read it
	c.calls.Done()
}

// giveSlotLocked gives cl's slot and bytes back and hands the slot to the
// first queued call, which it returns (nil: none) for startNext. c.mu is
// held.
func (c *Conn) giveSlotLocked(cl *call) *call {
	c.running--
	c.unhold(cl)
	if len(c.queue) == 0 || c.ctx.Err() != nil {
		return nil
	}
	next := c.queue[0]
	c.queue = c.queue[1:]
	c.running++
	next.started = true
	c.calls.Add(1)
	return next
}

// startNext signals room and runs the call giveSlotLocked handed the slot.
func (c *Conn) startNext(next *call) {
	c.signalRoom()
	if next != nil {
		go c.runCall(next)
	}
}

func (c *Conn) signalRoom() {
	select {
	case c.room <- struct{}{}:
	default:
	}
}

// serving reports whether a served call with sequence seq is running or
// queued.
func (c *Conn) serving(seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.inflight[seq]
	return ok
}

// dropQueued answers the calls still waiting for a slot when the
// connection ends: they never ran.
func (c *Conn) dropQueued() {
	c.mu.Lock()
	queued := c.queue
	c.queue = nil
	for _, cl := range queued {
		delete(c.inflight, cl.req.Sequence)
		c.unhold(cl)
	}
	c.mu.Unlock()
	for _, cl := range queued {
		cl.cancel()
		c.replyNotStarted(cl)
	}
}

// callContext derives a call's context from the connection's, with the
// request's timeout when it has one: time spent queued counts.
func (c *Conn) callContext(timeout int64, target *registry.Service) (context.Context, context.CancelFunc) {
	if timeout != 0 {
		return context.WithTimeout(c.ctx, time.Duration(timeout))
	}
	if target != nil && !target.UsesContext() {
		// Nothing sees the call's context: the connection's serves, as
		// the end of the connection is all that can end it (a cancel
		// from the peer cannot reach a func that does not look).
		return c.ctx, noCancel
	}
	return context.WithCancel(c.ctx)
}

// noCancel is the cancel of a call whose context is the connection's.
func noCancel() {}

// cancelCall cancels served call seq. A running call answers itself,
// usually with code canceled; a queued one is answered here and never
// runs. A cancel for no call in flight is ignored.
func (c *Conn) cancelCall(seq uint64) {
	c.mu.Lock()
	cl := c.inflight[seq]
	queued := cl != nil && !cl.started
	if queued {
		delete(c.inflight, seq)
		c.unhold(cl)
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
		c.replyError(seq, wire.CodeCanceled, fmt.Sprintf("call %d (%s) canceled before it started", seq, cl.name()))
	}
}

func (c *Conn) runCall(cl *call) {
	defer c.release(cl)
	cl.start = time.Now()
	if cl.ctx.Err() != nil && cl.queued {
		// Its deadline passed while it waited for a slot.
		c.forget(cl)
		c.replyNotStarted(cl)
		return
	}
	frame, out, err := c.invoke(cl)
	if cl.target != nil {
		c.timed(cl.target, time.Since(cl.start))
	}
	c.forget(cl)
	if err != nil {
		code, detail := c.callCode(cl.ctx, err)
		if len(detail) > c.maxFrame()/2 {
			detail = nil // the code still says what it is
		}
		c.reply(&wire.Response{Sequence: cl.req.Sequence, Error: err.Error(), Code: code, Detail: detail})
		return
	}
	if cl.run != 0 && out == nil {
		c.sendInline(cl, frame)
	} else {
		c.wr.SendBlobs(c.ctx, frame, out) // an error means the connection is ending
	}
	wire.PutBuf(frame)
}

// holdReplies is whether sendInline may hold replies back: always, but
// for the baseline of BenchmarkServeBatch.
var holdReplies = true

// sendInline sends the reply of a call run inline. When the call is still
// the reader's (no other reader took over during it) and more frames are
// buffered behind it, the reply is held back (wire.Writer.Defer): the
// replies to a batch of requests go out in one write, before the reader
// reads again (the Framer's BeforeRead flushes them) or within maxHold.
// A call handed over sends its reply at once: its reader may be waiting
// for the peer already. So does a reply that finds the writer's queue
// full, waiting for room as any reply does: a peer that stops reading
// stops this reader too, instead of growing the queue.
func (c *Conn) sendInline(cl *call, frame []byte) {
	if c.inline.state.CompareAndSwap(cl.run, cl.run&^1) {
		cl.claimed = true
		if holdReplies && c.fr.HasMore() && c.wr.Defer(frame, cl.start) {
			return
		}
	}
	c.wr.SendBlobs(c.ctx, frame, nil)
}

// invoke calls the service and returns its whole response frame and the
// blobs that follow it.
func (c *Conn) invoke(cl *call) ([]byte, [][]byte, error) {
	req := &cl.req
	svc := cl.svc
	if svc == nil {
		svc = cl.target
	}
	if svc == nil {
		var err error
		if svc, err = c.registry().Lookup(req.Namespace, req.Name); err != nil {
			return nil, nil, err
		}
	}
	results, out, err := svc.InvokeBlobs(cl.ctx, req.Args, cl.blobs, wire.GetBuf(), c.BlobThreshold())
	if err != nil {
		wire.PutBuf(results)
		var pe *registry.PanicError
		if errors.As(err, &pe) {
			c.logf("%v (sequence %d)\n%s", pe, req.Sequence, pe.Stack)
		}
		return nil, nil, err
	}
	lengths := blobLengths(out)
	frame := wire.AppendResponse(wire.GetBuf(), &wire.Response{Sequence: req.Sequence, Blobs: lengths, Reply: results})
	wire.PutBuf(results)
	if size, max := wire.FrameSize(int64(len(frame)), lengths), c.maxFrame(); size > int64(max) {
		wire.PutBuf(frame)
		return nil, nil, fmt.Errorf("%s: %w: result of %d bytes is over the frame limit of %d bytes",
			cl.name(), wire.ErrTooLarge, size, max)
	}
	return frame, out, nil
}

// callCode classifies a failed call, with the fields of an error
// registered as a type. A service that fails after its context ended is
// reported as canceled, past its deadline or unavailable (the connection
// shutting down), whatever it returned.
func (c *Conn) callCode(ctx context.Context, err error) (string, json.RawMessage) {
	var se *registry.ServiceError
	if errors.As(err, &se) && ctx.Err() != nil {
		return c.stoppedCode(ctx), nil
	}
	return wire.Classify(err)
}

// stoppedCode is the code of a call stopped by the end of its context.
func (c *Conn) stoppedCode(ctx context.Context) string {
	switch {
	case context.Cause(ctx) == errShutdown:
		return wire.CodeUnavailable
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return wire.CodeDeadlineExceeded
	}
	return wire.CodeCanceled
}
