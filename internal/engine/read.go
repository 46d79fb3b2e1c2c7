package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/hostcall/hostcall/internal/wire"
)

// startReading sets up the reading of a connection that does not serve
// yet: its callers read when the framer can be woken; else a goroutine
// reads, the serving reader from the start, so that Serve later has no
// reader to take over from (it cannot wake this one).
func (c *Conn) startReading() {
	if c.fr.Wakeable() {
		c.token = make(chan struct{}, 1)
		c.token <- struct{}{}
		return
	}
	c.looping = true
	c.readers.Add(1)
	go func() {
		defer c.readers.Done()
		c.serveRead(c.readGen.Load())
	}()
}

// readOne reads and handles one frame. ErrWoken is not an error: the
// reader looks at its context again, and the next readOne goes on where
// this one stopped.
func (c *Conn) readOne() error {
	if c.rd.kind != readNone {
		return c.withBlobs() // the blobs a woken reader left
	}
	fr, err := c.fr.Next()
	if errors.Is(err, wire.ErrWoken) {
		return nil
	}
	if err != nil {
		return err
	}
	return c.handleFrame(fr)
}

// await waits until p is done, reading frames itself while nobody else
// does, and reports false when ctx ended first (ctx may be nil).
func (c *Conn) await(ctx context.Context, p *pendingCall) bool {
	return c.awaitDone(ctx, p.done)
}

// awaitDone is await for any channel that is closed when the wait is over.
func (c *Conn) awaitDone(ctx context.Context, done <-chan struct{}) bool {
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Done()
	}
	c.handOver() // this may be a call run inline: the reader must go on
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	for {
		select {
		case <-done: // first: a caller whose reply came reads nothing
			return true
		default:
		}
		token, served := c.tokenFor()
		select {
		case <-done:
			return true
		case <-cancel:
			return false
		case <-served: // the token may be lent from now on
		case <-token:
			if c.readHolding(ctx, done) {
				return true
			}
		}
	}
}

// readHolding reads with the token just taken until done (it reports
// true), ctx ends or Serve wants the token (see readUntil), then gives the
// token back: to a reader of Serve's when this one ran the peer's calls
// with a lent token (each on a goroutine of its own, where Serve's reader
// runs small ones inline), else to the callers.
func (c *Conn) readHolding(ctx context.Context, done <-chan struct{}) (over bool) {
	c.takes.Add(1)
	over = c.readUntil(ctx, done)
	if c.rd.served {
		c.rd.served = false
		c.giveBack()
		return over
	}
	if over && c.lendMisses.Load() != 0 {
		c.lendMisses.Store(0) // the lend served its purpose
	}
	c.putToken()
	return over
}

// tokenFor is the read token's channel for a caller that would read: nil
// (never ready) without a token, or while Serve wants it; served is then
// the channel closed once Serve has it, after which a caller may read
// again (Serve lends the token).
func (c *Conn) tokenFor() (token, served chan struct{}) {
	if c.serveWanted.Load() {
		return nil, c.served // Serve takes the token next
	}
	return c.token, nil
}

// putToken gives the read token back, unless the reading is over (the
// reader that saw the end of a served stream keeps it: nobody reads
// again). While a serving connection lends the token, the watchdog
// watches that somebody takes it (see lendWatch).
func (c *Conn) putToken() {
	if c.readEnded.Load() {
		return
	}
	c.token <- struct{}{}
	if c.lent.Load() {
		c.inline.arm(c)
	}
}

// readUntil reads and routes frames until done is ready (it reports true,
// having received from it), ctx ends or Serve wants the token (false), or
// the stream fails: a connection that only calls fails (true: fail has
// signaled every pending call's done, which is left for its call to
// receive); a serving one reports it to Serve (false, unless done came),
// keeping the token. The caller holds the read token.
// On a serving connection it reads as Serve's reader does, except that
// calls do not run inline on it (it has a reply to return to), and a
// stream that fails is reported to Serve, which ends the connection.
func (c *Conn) readUntil(ctx context.Context, done <-chan struct{}) (over bool) {
	if ctx != nil && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, c.fr.Wake)
		defer stop()
	}
	serving := c.registry() != nil
	c.rd.caller = true
	defer func() { c.rd.caller = false }()
	for {
		select {
		case <-done:
			return true
		default:
		}
		if ctx != nil && ctx.Err() != nil || c.serveWanted.Load() {
			return false // the caller's context ended, or Serve wants to read
		}
		var err error
		switch {
		case serving && c.stopping.Load():
			err = errShutdown
		case serving:
			err = c.readServed()
		default:
			err = c.readOne()
		}
		if err == nil {
			continue
		}
		if !serving {
			c.fail(err) // fail signaled done, as every pending call's
			return true
		}
		c.endReading(err)
		select { // Serve fails the connection, which signals done
		case <-done:
			return true
		case <-c.dead: // done may be signaled just after
			return false
		}
	}
}

// readHello reads until hello is answered, unless a caller reads it first.
func (c *Conn) readHello() {
	defer c.readers.Done()
	for {
		token, served := c.tokenFor()
		select {
		case <-c.helloDone:
			return
		case <-served:
			continue
		case <-token:
			c.readHolding(nil, c.helloDone)
			return
		}
	}
}

// frameRead is the frame being read: parsed, and what to do with it once
// its blobs are read. There is one per connection, reused frame after
// frame (one reader at a time; a woken reader leaves it for the next), so
// that reading a frame allocates nothing of its own: what outlives the
// frame (a served call's request, a response) is copied by its user.
type frameRead struct {
	kind    int // readNone: no frame is waiting for its blobs
	req     wire.Request
	resp    wire.Response
	rec     wire.Recovered // a refused frame's
	code    string         // ... and its answer
	msg     string
	size    int64 // the frame's size, blobs excluded
	lengths []int64
	keep    bool
	// answered: the frame was a response to a call of this end (for
	// serveRead, which then lends the token). caller: the reader is a
	// caller, which runs no call inline.
	answered bool
	caller   bool
	served   bool // a caller holding a lent token admitted the peer's call
	// lendSkip: answers to callers after which Serve's reader goes on
	// reading instead of lending, after lends that no caller used.
	lendSkip int
}

// What a frame read is, for withBlobs.
const (
	readNone = iota
	readRefused
	readResponse
	readRequest
)

// handleFrame parses one frame, reads its blobs and routes it: a response
// to the call waiting for it, a request to the registry. It returns an
// error only when the stream can no longer be read.
func (c *Conn) handleFrame(fr wire.Frame) error {
	rd := &c.rd
	rd.req, rd.resp = wire.Request{}, wire.Response{}
	rd.size = fr.Size
	if fr.TooLarge {
		rd.rec = wire.Recover(fr.Head)
		rd.code, rd.msg = wire.CodeTooLarge, fmt.Sprintf("%s of %d bytes is over the frame limit of %d bytes", c.incoming(), fr.Size, c.cfg.MaxFrame)
		return c.readBlobs(readRefused, rd.rec.Blobs, false)
	}
	var isReq bool
	var perr error
	if fr.Err != nil {
		perr = fmt.Errorf("invalid %s frame: %w", c.incoming(), fr.Err) // the framer's proof: which byte, where
	} else {
		isReq, perr = c.parse(fr, &rd.req, &rd.resp)
	}
	if perr != nil {
		rd.rec = wire.Recover(fr.Data)
		rd.code, rd.msg = wire.CodeBadRequest, perr.Error()
		return c.readBlobs(readRefused, rd.rec.Blobs, false)
	}
	if !isReq {
		return c.readBlobs(readResponse, rd.resp.Blobs, true)
	}
	return c.readBlobs(readRequest, rd.req.Blobs, true)
}

// readBlobs records what the frame just parsed is and reads its blobs.
func (c *Conn) readBlobs(kind int, lengths []int64, keep bool) error {
	c.rd.kind, c.rd.lengths, c.rd.keep = kind, lengths, keep
	return c.withBlobs()
}

// withBlobs reads the blobs of the frame in c.rd and hands them on, with
// ErrBlobsTooLarge when they were over the limit and dropped. When a Wake
// interrupts the read, c.rd stays for the next readOne to go on with.
func (c *Conn) withBlobs() error {
	rd := &c.rd
	blobs, err := c.fr.ReadBlobs(rd.lengths, rd.keep)
	switch {
	case errors.Is(err, wire.ErrWoken):
		return nil
	case errors.Is(err, wire.ErrBlobsTooLarge):
		// consumed and dropped: the stream is still in step
	case err != nil:
		rd.kind = readNone
		return err
	}
	kind := rd.kind
	rd.kind = readNone
	switch kind {
	case readRefused:
		c.refuseFrame(rd.rec, rd.code, rd.msg)
		rd.rec, rd.msg = wire.Recovered{}, ""
	case readResponse:
		resp := rd.resp
		rd.resp = wire.Response{} // pin nothing of the frame's
		rd.answered = true
		c.deliver(&resp, blobs, err, rd.size)
	case readRequest:
		if err != nil {
			c.replyError(rd.req.Sequence, wire.CodeTooLarge, fmt.Sprintf("request %d with blobs is %d bytes, over the frame limit of %d bytes",
				rd.req.Sequence, wire.FrameSize(rd.size, rd.req.Blobs), c.cfg.MaxFrame))
			break
		}
		// A copy, and rd let go of before dispatch: a call run inline
		// may hand reading over to another reader, which uses rd.
		req := rd.req
		rd.req = wire.Request{}
		c.dispatch(&req, blobs)
	}
	return nil
}

// parse parses a frame the framer found well-formed as a request or a
// response. A frame with a type is
// a request. A frame without one is a response when it answers a call of
// this end, or when this end serves nothing; otherwise it is a request
// without a type, which a serving end drops when the peer serves (a late
// answer, see dispatch) and answers with bad_request when it does not.
func (c *Conn) parse(fr wire.Frame, req *wire.Request, resp *wire.Response) (isReq bool, err error) {
	if c.registry() != nil {
		if err := wire.ParseFrameRequest(fr, req); err != nil {
			return true, err
		}
		if req.Type != "" || !c.isPending(req.Sequence) {
			return true, nil
		}
	}
	if err := wire.ParseFrameResponse(fr, resp); err != nil {
		return false, err
	}
	if resp.Type != "" {
		return true, wire.ParseFrameRequest(fr, req)
	}
	return false, nil
}

// deliver hands a response to the call waiting for it; one item of a
// stream goes to the call's stream (stream.go).
func (c *Conn) deliver(resp *wire.Response, blobs [][]byte, err error, size int64) {
	if err != nil {
		err = fmt.Errorf("%w: response of %d bytes with its blobs is over the limit of %d bytes",
			wire.ErrTooLarge, wire.FrameSize(size, resp.Blobs), c.cfg.MaxFrame)
	}
	if resp.More && err == nil {
		c.deliverItem(resp, blobs, wire.FrameSize(size, resp.Blobs))
		return
	}
	p := c.take(resp.Sequence)
	switch {
	case p == nil:
	case p.stream != nil:
		p.stream.finish(resp, err)
	default:
		p.resp, p.blobs, p.err = *resp, blobs, err
		p.finish()
	}
}

// refuseFrame answers a frame that could not be used: a pending call of
// this end with that sequence fails with the reason; otherwise, when this
// end serves, the peer gets the code. Without a recoverable sequence the
// frame is dropped.
func (c *Conn) refuseFrame(rec wire.Recovered, code, msg string) {
	if !rec.HasSequence {
		c.logf("dropped a frame with no recoverable sequence: %s", msg)
		return
	}
	if p := c.take(rec.Sequence); p != nil {
		if code == wire.CodeTooLarge {
			p.err = fmt.Errorf("%w: %s", wire.ErrTooLarge, msg)
		} else {
			p.err = fmt.Errorf("%w: %s", ErrBadReply, msg)
		}
		p.finish()
		return
	}
	if c.registry() != nil {
		c.replyError(rec.Sequence, code, msg)
	}
}

// incoming names what this end mostly reads, for messages.
func (c *Conn) incoming() string {
	if c.registry() != nil {
		return "request"
	}
	return "response"
}
