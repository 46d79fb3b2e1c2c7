package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// inlineBudget is how long a call may run on the reader's goroutine before
// another goroutine takes over reading (between once and twice that: the
// watchdog's tick, see inlineWatch): long enough for a typical small
// service, short enough that a cancel frame or the next call waits little.
// A call that waits for the peer hands reading over at once (handOver).
var inlineBudget = 200 * time.Microsecond // a var for tests

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
		// Sticky, unlike the read deadline: a caller's Wake, reading when
		// the deadline struck, turns it into ErrWoken and clears it.
		c.stopping.Store(true)
		interruptRead(c.r)
		c.reclaim() // a reader to see the interruption
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
	c.inline.stop() // every call is over: nothing to watch
	return err
}

var errServedAlready = errors.New("engine: the connection is served already")

// takeReading makes Serve the connection's reader and reports whether
// Serve must start reading: on a connection whose callers read for
// themselves it waits for the read token, which its readers hold from then
// on, routing responses to callers and requests to reg, and lend to
// callers (lend); on one with
// a reading goroutine already (see startReading) that goroutine goes on.
// A connection that says hello says it again, listing "serve": the peer may
// call from then on.
func (c *Conn) takeReading(ctx context.Context, reg *registry.Registry) (start bool, err error) {
	if err := c.Err(); err != nil {
		return false, err // a failed connection (not hosted), or one that ended
	}
	if !c.serveBegun.CompareAndSwap(false, true) {
		return false, errServedAlready // or being served: one Serve at a time
	}
	if c.token != nil {
		c.serveWanted.Store(true)
		c.fr.Wake() // a caller reading for itself hands the token over
		select {
		case <-c.token: // at once if ready: a connection made with its
			// Registry has it so, and Serve must then end what it serves
			// (its writer, for one) even if ctx has ended already
		default:
			select {
			case <-c.token:
			case <-c.dead:
				c.serveBegun.Store(false)
				return false, c.Err()
			case <-ctx.Done():
				c.serveBegun.Store(false)
				return false, ctx.Err()
			}
		}
	}
	installed := c.reg.CompareAndSwap(nil, reg)
	if !installed && c.reg.Load() != reg {
		// Another registry, given to New: callers still may not read
		// (serveWanted stays), as nobody would serve what they read.
		if c.token != nil {
			c.token <- struct{}{}
		}
		c.serveBegun.Store(false)
		return false, errServedAlready
	}
	if c.token != nil {
		c.serveWanted.Store(false) // the token is Serve's reader's, to lend
	}
	close(c.served)
	if installed && c.cfg.Hello {
		c.sayHello() // New said hello before it served: say it again
	}
	return !c.looping, nil
}

// serveRead is Serve's reader. Exactly one goroutine reads at a time:
// one that Serve starts, then, each time a call run inline outlives
// inlineBudget or waits for the peer, a new one (runInline).
// Each reader has a generation; the new reader takes the next one, and
// the old reader, once its call is done, sees that it is no longer the
// current generation and returns. A reader also stops when it lends the
// token to a caller (lend); reclaim starts a new one when it comes back.
// The reader that sees the end of the stream, this one or a caller,
// reports its error on readDone (endReading), as does the first one to
// see that Serve's context ended (stopping).
//
// Running small calls inline matters: handing each call to a new goroutine
// wakes another thread of the scheduler, and between two processes on the
// same machine that hand-off costs more than the call itself (see
// docs/bench).
func (c *Conn) serveRead(gen uint64) {
	for {
		if c.stopping.Load() {
			c.endReading(errShutdown)
			return
		}
		c.rd.answered = false
		err := c.readOne() // a Wake left from the callers' reading is no error
		if err == nil && c.readGen.Load() != gen {
			c.lingering.Add(-1)
			return // another reader took over during an inline call
		}
		if err == nil {
			err = c.writeErr()
		}
		if err != nil {
			if c.registry() == nil {
				c.fail(err) // nobody serves: nobody else will
			}
			c.endReading(err)
			return
		}
		if c.rd.answered && c.token != nil && c.waiting.Load() == 1 && c.lingering.Load() == 0 {
			if c.rd.lendSkip == 0 {
				c.lend()
				return
			}
			c.rd.lendSkip--
		}
	}
}

// readServed reads one frame as a reader of Serve's that is not Serve's
// own (a caller, see readUntil): an error ends the reading.
func (c *Conn) readServed() error {
	if err := c.readOne(); err != nil {
		return err
	}
	return c.writeErr()
}

// writeErr is the error of the writer of responses, which ends the
// serving.
func (c *Conn) writeErr() error {
	if err := c.wr.Err(); err != nil {
		return fmt.Errorf("writing responses: %w", err)
	}
	return nil
}

// endReading reports the error that ended the stream to Serve. The reader
// that calls it keeps the read token: nobody reads again.
func (c *Conn) endReading(err error) {
	c.readEnded.Store(true)
	c.readDone <- err
}

// lend is how Serve's reader stops once it has answered a caller while
// callers wait (and no reader whose inline call was handed over is still
// to stop: that call may be the caller, which then returns to that
// reader, not to the peer): it gives the read token up, so that a caller reads its
// own reply next, on its own goroutine. Otherwise each reply would go
// from this reader to the caller's goroutine, a hand-off that wakes a
// thread of the scheduler and costs more than the call itself between
// two processes on the same machine (hostcall-h2p in docs/bench). A
// caller reads as Serve's reader does, except that it runs no call inline
// (served requests get goroutines of their own). Once callers leave the
// token idle for a whole tick of the watchdog, a new reader of Serve's
// takes it back (lendWatch): the peer's requests then wait that long at
// most to be read.
func (c *Conn) lend() {
	c.lent.Store(true)
	c.takes.Add(1) // the watchdog's tick waits for a whole idle tick
	c.token <- struct{}{}
	c.inline.arm(c)
}

// lendWatch is the watchdog's part in lending: when callers have not
// taken the lent token since the last tick and nobody holds it, a new
// reader of Serve's takes it back. It reports whether the watchdog must
// tick again for it; a caller that gives the token back arms it again.
func (c *Conn) lendWatch() bool {
	w := &c.inline
	if !c.lent.Load() {
		return false
	}
	if n := c.takes.Load(); n != w.takes {
		w.takes = n
		return true
	}
	c.reclaim() // unless a caller holds it
	return false
}

// reclaim takes the read token back for a new reader of Serve's if it is
// lent and nobody holds it: callers left it idle for a whole tick of the
// watchdog, a served call has just ended (the peer's next request may
// follow at once), or Serve's context ended. The lend is counted as one
// of no use (lendMisses): lend less often from now on, so that the peer's
// requests do not wait after every answer when this end's callers do not
// call again soon.
func (c *Conn) reclaim() {
	if c.takeLent() {
		c.giveBack()
	}
}

// giveBack hands the lent token, which the calling caller holds, to a new
// reader of Serve's, counting the lend as one of no use (see reclaim).
func (c *Conn) giveBack() {
	if c.readEnded.Load() {
		return // the reading is over: the token stays with its last reader
	}
	c.lent.Store(false)
	misses := min(c.lendMisses.Add(1), maxLendBackoff)
	c.rd.lendSkip = 1<<misses - 1
	go c.serveRead(c.readGen.Add(1))
}

// maxLendBackoff bounds the doubling of lendSkip: at most one answer in
// 1<<maxLendBackoff is lent while lends go unused.
const maxLendBackoff = 10

// takeLent takes the read token back for a reader of Serve's if it is
// lent and nobody holds it.
func (c *Conn) takeLent() bool {
	if c.token == nil || !c.lent.Load() {
		return false
	}
	select {
	case <-c.token:
		return true // giveBack records that it is lent no more
	default:
		return false
	}
}

// runInline runs cl on the reader's goroutine. When it outlives
// inlineBudget (the watchdog, see inlineWatch) or needs the reader itself
// (handOver), a reader of the next generation takes over reading, and this
// reader stops once the call is done. Whichever of the two claims the call
// first decides: the old reader must not read again once another has
// been started, and must go on when none has.
func (c *Conn) runInline(cl *call) {
	w := &c.inline
	gen := c.readGen.Load() // only the current reader runs calls inline
	w.gen.Store(gen)
	run := w.next<<1 | 1
	w.next++
	w.state.Store(run)
	w.arm(c)
	cl.run = run
	c.runCall(cl)
	if cl.claimed || w.state.CompareAndSwap(run, run&^1) {
		return
	}
	// Handed over. The claimer moves the generation on right after its
	// claim: wait for that, or this reader could read again meanwhile,
	// beside the new one. serveRead then sees the next generation and
	// stops.
	for c.readGen.Load() == gen {
		runtime.Gosched()
	}
}

// inlineWatch watches the calls a reader runs inline without a timer per
// call (resetting one wakes a thread of the scheduler each time, which
// costs a small call more than the call itself): one timer ticks every
// inlineBudget while calls run inline, and stops after idleTicks ticks
// that saw no new one. A call seen running at two ticks in a row has run
// at least inlineBudget, and reading is handed over.
type inlineWatch struct {
	// state is id<<1|1 while the reader runs call id inline, id<<1 once
	// it is done or handed over. The reader sets it; whoever moves it
	// from running to done (the reader, the watchdog or handOver) decides
	// whether reading is handed over.
	state   atomic.Uint64
	next    uint64        // the next call's id (the reader's)
	gen     atomic.Uint64 // the generation of the reader that runs the call
	armed   atomic.Bool
	stopped atomic.Bool   // the connection is over (stop)
	every   time.Duration // the tick: inlineBudget when the connection was made
	t       *time.Timer
	seen    uint64 // state at the last tick (the timer's goroutine)
	idle    int    // ticks in a row that saw no new inline call (the timer's goroutine)
	takes   uint64 // Conn.takes at the last tick (the timer's goroutine)
}

// init makes the watchdog's timer, stopped.
func (w *inlineWatch) init(c *Conn) {
	w.every = inlineBudget
	w.t = time.AfterFunc(time.Hour, func() { w.tick(c) })
	w.t.Stop()
}

// stop ends the watchdog's ticks for good: the connection is over. A tick
// under way may set the timer once more; that tick returns at once.
func (w *inlineWatch) stop() {
	w.stopped.Store(true)
	w.t.Stop()
}

// arm starts the watchdog's ticks unless they run already.
func (w *inlineWatch) arm(c *Conn) {
	if w.armed.Swap(true) {
		return
	}
	w.t.Reset(w.every)
}

// tick is the watchdog's: it hands reading over from a call that has run
// inline since the last tick, and ticks again while calls run inline.
func (w *inlineWatch) tick(c *Conn) {
	if w.stopped.Load() {
		return
	}
	c.wr.Flush() // replies the reader held back wait one tick at most
	s := w.state.Load()
	prev := w.seen
	w.seen = s
	if s&1 == 1 && s == prev {
		c.takeOver(s)
	}
	if c.lendWatch() || s != prev {
		w.idle = 0
	} else {
		w.idle++
	}
	if w.idle < idleTicks {
		w.t.Reset(w.every) // armed still: a pause between calls is no reason to stop
		return
	}
	w.idle = 0
	w.armed.Store(false)
	if w.state.Load()&1 == 1 || c.lent.Load() && len(c.token) == 1 {
		w.arm(c) // unless a reader or a caller armed it since
	}
}

// idleTicks is how many ticks the watchdog goes on without a new inline
// call before it stops: calls that come one after the other then arm it
// once, not each time.
const idleTicks = 8

// handOver hands reading over to a new reader now if the current one runs
// a call inline: something is about to wait for what only a reader can
// deliver (a reply, a stream's items, credit), maybe from within that call.
func (c *Conn) handOver() {
	if s := c.inline.state.Load(); s&1 == 1 {
		c.takeOver(s)
	}
}

// takeOver starts a reader of the next generation if the call whose
// state is s still runs inline. The reader that runs it stops once the
// call is done (runInline waits for the new generation). If the
// generation has moved on already, the call's reader is not the current
// one: it stops after the call, as counted in lingering when it was
// replaced, and no other reader starts.
func (c *Conn) takeOver(s uint64) {
	if !c.inline.state.CompareAndSwap(s, s&^1) {
		return // done meanwhile: its reader goes on
	}
	gen := c.inline.gen.Load()
	if !c.readGen.CompareAndSwap(gen, gen+1) {
		return
	}
	c.lingering.Add(1) // until the call is done and its reader stops
	if !c.readEnded.Load() {
		go c.serveRead(gen + 1)
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
