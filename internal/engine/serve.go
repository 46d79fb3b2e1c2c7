package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// inlineBudget is how long a call may run on the reader's goroutine before
// another goroutine takes over reading: long enough for a typical small
// service, short enough that a cancel frame or the next call waits little.
const inlineBudget = 200 * time.Microsecond

// Serve serves reg (nil: the Config's Registry) to the peer until the peer closes
// its end, a read fails, or ctx ends, then cancels the calls still running,
// waits for them within the drain timeout and flushes the responses
// already queued.
//
// When ctx ends, Serve interrupts its pending read through the reader's
// read deadline or, lacking one, by closing it; running calls are answered
// unavailable.
//
// Serve returns nil when the peer closed the stream cleanly, ctx's error
// when ctx ended it, and otherwise the error that ended it.
func (c *Conn) Serve(ctx context.Context, reg *registry.Registry) error {
	if reg == nil {
		reg = c.cfg.Registry
	}
	if reg == nil {
		panic("engine: Serve without a registry")
	}
	start, err := c.takeReading(ctx, reg)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() {
		c.cancel(errShutdown) // running calls answer unavailable
		interruptRead(c.r)
	})
	if start {
		// Not on this goroutine: it must stay free to end the connection
		// when a reader of a later generation reads the end of the stream
		// while the first one runs a call inline that waits for that end.
		go c.serveRead(c.readGen.Load())
	}
	err = <-c.readDone
	stop()
	if ctx.Err() != nil {
		err = ctx.Err() // whatever the interrupted read or write reported
	}
	if errors.Is(err, wire.ErrTruncated) {
		err = fmt.Errorf("the peer's %w", err)
	}
	c.fail(err)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if derr := c.shutdown(); derr != nil {
		err = errors.Join(err, derr)
	}
	return err
}

// takeReading makes Serve the connection's reader and reports whether
// Serve must start reading: on a connection whose callers read for
// themselves it waits for the read token and keeps it, so that from then on
// one reader routes responses to callers and requests to reg; on one with
// a reading goroutine already (see startReading) that goroutine goes on.
// A connection that says hello says it again, listing "serve": the peer may
// call from then on.
func (c *Conn) takeReading(ctx context.Context, reg *registry.Registry) (start bool, err error) {
	if err := c.Err(); err != nil {
		return false, err // a failed connection (not hosted), or one that ended
	}
	if c.token != nil {
		c.serveWanted.Store(true)
		c.fr.Wake() // a caller reading for itself hands the token over
		select {
		case <-c.token:
		case <-c.dead:
			return false, c.Err()
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	installed := c.reg.CompareAndSwap(nil, reg)
	if !installed && c.reg.Load() != reg {
		if c.token != nil {
			c.token <- struct{}{}
		}
		return false, errors.New("engine: the connection is served already")
	}
	if installed && c.cfg.Hello {
		c.sayHello() // New said hello before it served: say it again
	}
	return !c.looping, nil
}

// serveRead is Serve's reader. Exactly one goroutine reads at a time:
// one that Serve starts, then, each time a call run inline outlives
// inlineBudget, a new one started by the timer of that call (runInline).
// Each reader has a generation; the timer's reader takes the next one, and
// the old reader, once its call is done, sees that it is no longer the
// current generation and returns. The last reader reports the error that
// ended the stream on readDone.
//
// Running small calls inline matters: handing each call to a new goroutine
// wakes another thread of the scheduler, and between two processes on the
// same machine that hand-off costs more than the call itself (see
// docs/bench).
func (c *Conn) serveRead(gen uint64) {
	for {
		err := c.readOne() // a Wake left from the callers' reading is no error
		if err == nil && c.readGen.Load() != gen {
			return // another reader took over during an inline call
		}
		if err == nil {
			err = c.wr.Err()
			if err != nil {
				err = fmt.Errorf("writing responses: %w", err)
			}
		}
		if err != nil {
			c.readEnded.Store(true)
			if c.registry() == nil {
				c.fail(err) // nobody serves: nobody else will
			}
			c.readDone <- err
			return
		}
	}
}

// runInline runs cl on the reader's goroutine. When it outlives
// inlineBudget, a reader of the next generation takes over reading, and
// this reader stops once the call is done. Whichever of the timer and
// runInline comes first moves the generation on, from this reader's to
// the next, before either reader looks: the old reader must not read again
// once the timer has fired, even if the new reader has not started yet.
// A compare-and-swap, so that a late move never takes the generation back
// from a reader that has since handed over in turn.
func (c *Conn) runInline(cl *call) {
	gen := c.readGen.Load() // only the current reader runs calls inline
	it := getInlineTimer(c, gen)
	c.runCall(cl)
	if !it.t.Stop() {
		c.readGen.CompareAndSwap(gen, gen+1)
		return // it fired: it is the new reader's, never reused
	}
	it.c = nil
	inlineTimers.Put(it)
}

// inlineTimer is runInline's timer, reused from call to call (inlineTimers)
// so that running a call inline allocates nothing: one that fired is
// dropped, one that was stopped in time goes back to the pool.
type inlineTimer struct {
	t   *time.Timer
	c   *Conn
	gen uint64
}

var inlineTimers sync.Pool // *inlineTimer, stopped

// getInlineTimer returns a timer started for the reader of generation gen
// of c.
func getInlineTimer(c *Conn, gen uint64) *inlineTimer {
	it, _ := inlineTimers.Get().(*inlineTimer)
	if it == nil {
		it = &inlineTimer{}
		it.c, it.gen = c, gen
		it.t = time.AfterFunc(inlineBudget, it.fire)
		return it
	}
	it.c, it.gen = c, gen
	it.t.Reset(inlineBudget)
	return it
}

// fire hands reading over to a reader of the next generation: the call
// run inline outlived inlineBudget.
func (it *inlineTimer) fire() {
	c, gen := it.c, it.gen
	c.readGen.CompareAndSwap(gen, gen+1)
	if !c.readEnded.Load() {
		c.serveRead(gen + 1)
	}
}

// dispatch answers one request. Calls run concurrently (see admit); the
// other requests are answered here, in the order they were read.
func (c *Conn) dispatch(req *wire.Request, blobs [][]byte) {
	switch req.Type { // whether this end serves or not
	case wire.TypeCallback:
		c.dispatchCallback(req, blobs)
		return
	case wire.TypeCancel:
		c.cancelCall(req.Sequence)
		return
	case wire.TypeCredit:
		c.creditCall(req)
		return
	}
	reg := c.registry()
	if reg == nil {
		c.trySend(wire.AppendResponse(wire.GetBuf(), &wire.Response{Sequence: req.Sequence, Code: wire.CodeBadRequest,
			Error: fmt.Sprintf("this plugin serves no requests (got %q)", req.Type)}))
		return
	}
	if req.Type == "" && c.PeerHas(wire.FeatureServe) {
		// A response matching no call of ours: a late answer to a call we
		// gave up (canceled, past its deadline, a stream closed). Dropped,
		// never answered: an answer would be a frame without a type too,
		// which the peer, serving, would answer in turn, forever; and it
		// would fail a call of the peer's that has the same sequence in its
		// own numbering.
		c.logf("dropped frame %d: no type, and no call of this end waits for it", req.Sequence)
		return
	}
	// Requests answered on the reader check their sequence here; calls
	// that take a slot check it in admit.
	health := req.Type == wire.TypeCall && req.Namespace == wire.HealthNamespace
	if (req.Type != wire.TypeCall || health) && req.Type != "" && c.serving(req.Sequence) {
		c.replyError(req.Sequence, wire.CodeBadRequest,
			fmt.Sprintf("sequence %d is already in flight: sequences must not be reused", req.Sequence))
		return
	}
	switch req.Type {
	case wire.TypeCall:
		if health {
			c.answerHealth(req) // on the reader, ahead of the queue
			return
		}
		c.admit(req, blobs, nil)
	case wire.TypeHasNamespace:
		c.reply(&wire.Response{Sequence: req.Sequence, OK: reg.HasNamespace(req.Namespace)})
	case wire.TypeGetManifest:
		m, ok := reg.Manifest(req.Namespace)
		if !ok {
			c.replyUnknownNamespace(req)
			break
		}
		if len(m) == 0 {
			m = []byte("null") // protocol 1 clients need the member
		}
		c.reply(&wire.Response{Sequence: req.Sequence, Reply: m})
	case wire.TypeListServices:
		names, ok := reg.ServiceNames(req.Namespace)
		if !ok {
			c.replyUnknownNamespace(req)
			break
		}
		c.reply(&wire.Response{Sequence: req.Sequence, Services: names})
	case wire.TypeHello:
		c.answerHello(req)
	case "":
		c.replyError(req.Sequence, wire.CodeBadRequest, fmt.Sprintf("frame %d has no type: not a request", req.Sequence))
	default:
		c.replyError(req.Sequence, wire.CodeBadRequest, fmt.Sprintf("unknown request type %q", req.Type))
	}
}

func (c *Conn) replyUnknownNamespace(req *wire.Request) {
	c.replyError(req.Sequence, wire.CodeUnknownNamespace, fmt.Sprintf("%s: %v %q", wire.Printable(req.Namespace, true), wire.ErrUnknownNamespace, req.Namespace))
}

// shutdown answers the served calls still queued, waits for the running
// ones within the drain bound (fail has canceled their contexts) and
// flushes what they queued.
func (c *Conn) shutdown() error {
	c.dropQueued()
	var err error
	if !waitTimeout(&c.calls, c.cfg.DrainTimeout) {
		err = fmt.Errorf("%s %w %v after the connection ended; their results are dropped",
			c.runningServices(), ErrStillRunning, c.cfg.DrainTimeout)
	}
	done := make(chan struct{})
	go func() {
		c.wr.Close(true)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(c.cfg.DrainTimeout):
		interruptWrite(c.w)
		<-done
	}
	return err
}

// waitTimeout waits for wg, at most d. It reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// interruptRead makes a blocked Read on r return: through a read deadline
// when r has one, else by closing r.
func interruptRead(r io.Reader) {
	if !wire.InterruptRead(r) {
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
	}
}

// interruptWrite makes a blocked Write on w return, like interruptRead.
func interruptWrite(w io.Writer) {
	if !wire.InterruptWrite(w) {
		if c, ok := w.(io.Closer); ok {
			c.Close()
		}
	}
}
