package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// Serve serves reg to the plugin at the other end of r (its requests) and w
// (the host's responses) until the plugin closes its end, a read or write
// fails, or ctx ends. Calls run concurrently (see the package doc), each
// with a context that a cancel frame, the call's timeout or the end of the
// connection cancels.
//
// When ctx ends, Serve interrupts its pending read through r's read deadline
// or, lacking one, by closing r; a reader with neither is only noticed when
// its current read returns. Before returning, Serve cancels every call still
// running and waits for them (see WithDrainTimeout), then flushes the
// responses already queued.
//
// Serve returns nil when the plugin closed the stream cleanly, ctx's error
// when ctx ended it, and otherwise the error that ended it.
func Serve(ctx context.Context, reg *registry.Registry, r io.Reader, w io.Writer, opts ...ServeOption) error {
	if reg == nil {
		panic("host: Serve with a nil registry")
	}
	cfg := newServeConfig(opts)
	c := newConn(reg, r, w, cfg)
	stop := context.AfterFunc(ctx, func() {
		c.cancel(errShutdown) // running calls answer unavailable
		interruptRead(r)
	})
	c.read()
	err := <-c.readDone
	stop()
	if ctx.Err() != nil {
		err = ctx.Err() // whatever the interrupted read or write reported
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if derr := c.shutdown(); derr != nil {
		err = errors.Join(err, derr)
	}
	return err
}

// Causes of the connection context's end.
var (
	errShutdown  = errors.New("host is shutting down")
	errConnEnded = errors.New("connection ended")
	// errStillRunning marks Serve's report of services that outlived the
	// drain timeout.
	errStillRunning = errors.New("still running")
)

// conn is the state of one served connection.
type conn struct {
	cfg serveConfig
	reg *registry.Registry
	fr  *wire.Framer
	wr  *wire.Writer
	w   io.Writer

	ctx    context.Context // canceled when the connection ends
	cancel context.CancelCauseFunc
	calls  sync.WaitGroup // the calls' goroutines
	room   chan struct{}  // signaled when a call leaves the in-flight set

	r         io.Reader
	readDone  chan error  // the error that ended the last reader
	readEnded atomic.Bool // no reader will run again

	mu       sync.Mutex
	inflight map[uint64]*call // running and queued, by sequence
	queue    []*call          // waiting for a slot, in order
	running  int              // calls holding a slot
	peer     *wire.Hello      // the plugin's hello, nil before it says one
}

func newConn(reg *registry.Registry, r io.Reader, w io.Writer, cfg serveConfig) *conn {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &conn{
		r:        r,
		readDone: make(chan error, 1),
		cfg:      cfg,
		reg:      reg,
		fr:       wire.NewFramer(r, cfg.maxFrame),
		wr:       wire.NewWriter(w, 0),
		w:        w,
		ctx:      ctx,
		cancel:   cancel,
		room:     make(chan struct{}, 1),
		inflight: make(map[uint64]*call),
	}
}

// handleFrame parses one frame and its blobs and dispatches the request. It
// returns an error only when the stream can no longer be read, and
// handedOff when another goroutine has taken over reading (see read).
func (c *conn) handleFrame(fr wire.Frame) (handedOff bool, err error) {
	if fr.TooLarge {
		rec := wire.Recover(fr.Head)
		if _, err := c.fr.ReadBlobs(rec.Blobs, false); err != nil {
			return false, err
		}
		c.replyRecovered(rec, wire.CodeTooLarge,
			fmt.Sprintf("request of %d bytes is over the frame limit of %d bytes", fr.Size, c.cfg.maxFrame))
		return false, nil
	}
	var req wire.Request
	if err := wire.ParseRequest(fr.Data, &req); err != nil {
		rec := wire.Recover(fr.Data)
		if _, err := c.fr.ReadBlobs(rec.Blobs, false); err != nil {
			return false, err
		}
		c.replyRecovered(rec, wire.CodeBadRequest, err.Error())
		return false, nil
	}
	blobs, err := c.fr.ReadBlobs(req.Blobs, true)
	if errors.Is(err, wire.ErrBlobsTooLarge) {
		// Consumed and dropped: the stream is still in step.
		c.replyError(req.Sequence, wire.CodeTooLarge, fmt.Sprintf("request %d with blobs is %d bytes, over the frame limit of %d bytes",
			req.Sequence, wire.FrameSize(fr.Size, req.Blobs), c.cfg.maxFrame))
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return c.dispatch(&req, blobs), nil
}

// replyRecovered answers a frame that could not be used, when its sequence
// could be recovered; otherwise the frame is dropped.
func (c *conn) replyRecovered(rec wire.Recovered, code, msg string) {
	if !rec.HasSequence {
		c.logf("host: dropped a frame with no recoverable sequence: %s", msg)
		return
	}
	c.replyError(rec.Sequence, code, msg)
}

func (c *conn) logf(format string, a ...any) {
	if c.cfg.errorLog != nil {
		c.cfg.errorLog.Printf(format, a...)
	}
}

// send queues a response. It waits for room in the writer's queue, unless
// the connection has ended.
func (c *conn) send(resp *wire.Response) {
	buf := wire.AppendResponse(wire.GetBuf(), resp)
	c.sendFrame(buf)
}

func (c *conn) sendFrame(buf []byte) {
	c.wr.Send(c.ctx, buf) // an error means the connection is ending: nothing to tell
	wire.PutBuf(buf)
}

func (c *conn) replyError(seq uint64, code, msg string) {
	c.send(&wire.Response{Sequence: seq, Error: msg, Code: code})
}

// shutdown cancels every call, waits for them within the drain bound and
// flushes what they queued.
func (c *conn) shutdown() error {
	c.cancel(errConnEnded)
	c.dropQueued()
	var err error
	if !waitTimeout(&c.calls, c.cfg.drainTimeout) {
		err = fmt.Errorf("host: %s %w %v after the connection ended; their results are dropped",
			c.runningServices(), errStillRunning, c.cfg.drainTimeout)
	}
	done := make(chan struct{})
	go func() {
		c.wr.Close(true)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(c.cfg.drainTimeout):
		interruptWrite(c.w)
		<-done
	}
	return err
}

func (c *conn) runningServices() string {
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
		s += fmt.Sprintf("%s (sequence %d)", cl.name, seq)
		n++
	}
	return fmt.Sprintf("%d calls [%s]", len(c.inflight), s)
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
