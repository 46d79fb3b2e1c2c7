package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/hostcall/hostcall/internal/wire"
)

// Streams (PROTOCOL.md section 6). A served call whose service returns a
// stream answers with an opening frame and one frame per item, all
// "more":true, then its final response. The producer may have at most its
// credit in bytes unanswered; the consumer grants more with credit
// requests as it consumes, so neither side holds more than a window per
// stream whatever the stream's length. Once its stream begins, a call
// gives its in-flight slot back: streams are long, and must not keep
// ordinary calls out.

// The producing side: a served call is the registry's wire.StreamSink.

// Value finds the call itself under wire.StreamSinkKey.
func (cl *call) Value(key any) any {
	if key == wire.StreamSinkKey {
		return cl
	}
	return cl.Context.Value(key)
}

// Accepts reports whether the caller takes streams.
func (cl *call) Accepts() error {
	if !cl.c.PeerHas(wire.FeatureStreams) {
		return fmt.Errorf("%w: the caller does not take streams (its hello did not list the feature %q)",
			wire.ErrBadRequest, wire.FeatureStreams)
	}
	return nil
}

// Open gives the call's slot back and sends the opening frame.
func (cl *call) Open() error {
	c := cl.c
	cl.credit.Store(wire.StreamWindow)
	c.mu.Lock()
	cl.creditCh = make(chan struct{}, 1)
	c.mu.Unlock()
	c.detach(cl)
	frame := wire.AppendResponse(wire.GetBuf(), &wire.Response{Sequence: cl.req.Sequence, More: true})
	err := c.wr.SendBlobs(cl.Context, frame, nil)
	wire.PutBuf(frame)
	return err
}

// MinBlob is the caller's blob threshold.
func (cl *call) MinBlob() int { return cl.c.BlobThreshold() }

// Emit sends one item once the caller's credit allows it. An item larger
// than the credit left goes when any is left, so that the caller holds at
// most its window and one frame.
//
// To a peer that takes batches, an item without blobs joins the frame of
// the items before it while that frame still waits for the writer (the
// writer is busy): a fast producer sends many items per frame, and a
// slow one, or an idle writer, one.
func (cl *call) Emit(reply []byte, blobs [][]byte) error {
	c := cl.c
	batch := len(blobs) == 0 && len(reply) > 2 && reply[0] == '[' && reply[len(reply)-1] == ']' && c.PeerHas(wire.FeatureBatches)
	if batch {
		if err := cl.awaitCredit(); err != nil {
			return err
		}
		item := reply[1 : len(reply)-1]
		if c.wr.Extend(cl, item, min(c.maxFrame(), maxBatch)) {
			cl.credit.Add(-int64(1 + len(item))) // the comma and the item
			return nil
		}
	}
	lengths := blobLengths(blobs)
	frame := wire.AppendResponse(wire.GetBuf(), &wire.Response{Sequence: cl.req.Sequence, More: true, Reply: reply, Blobs: lengths})
	defer wire.PutBuf(frame)
	// Credit counts the object without its newline, plus the blobs: what
	// the consumer's framer measures, whatever whitespace surrounds it.
	size := wire.FrameSize(int64(len(frame)-1), lengths)
	if max := c.maxFrame(); size > int64(max) {
		return fmt.Errorf("%s: %w: a stream item of %d bytes is over the frame limit of %d bytes", cl.name(), wire.ErrTooLarge, size, max)
	}
	if err := cl.awaitCredit(); err != nil {
		return err
	}
	cl.credit.Add(-size)
	if batch {
		return c.wr.SendExtendable(cl.Context, frame, cl)
	}
	return c.wr.SendBlobs(cl.Context, frame, blobs)
}

// maxBatch bounds a frame of batched items: the consumer gets them while
// the producer goes on.
const maxBatch = 64 << 10

// awaitCredit waits until the stream has credit left or the call ends.
func (cl *call) awaitCredit() error {
	for cl.credit.Load() <= 0 {
		cl.c.handOver() // credit comes through the reader
		select {
		case <-cl.creditCh:
		case <-cl.Done():
			return cl.Err()
		}
	}
	return nil
}

// detach gives a streaming call's in-flight slot and bytes back, and
// starts the first queued call in its place.
func (c *Conn) detach(cl *call) {
	c.mu.Lock()
	if cl.detached || !cl.started {
		c.mu.Unlock()
		return
	}
	cl.detached = true
	next := c.giveSlotLocked(cl)
	c.mu.Unlock()
	c.startNext(next)
}

// creditCall adds the credit of a credit request to the stream of served
// call req.Sequence. A credit for no stream, or not a positive integer, is
// ignored: it has no response.
func (c *Conn) creditCall(req *wire.Request) {
	n, err := strconv.ParseInt(string(req.Args), 10, 64)
	if err != nil || n <= 0 {
		c.logf("ignored a credit request for call %d: args %s is not a positive integer", req.Sequence, wire.Clip(req.Args))
		return
	}
	c.mu.Lock()
	cl := c.inflight[req.Sequence]
	var ch chan struct{}
	if cl != nil {
		ch = cl.creditCh
	}
	c.mu.Unlock()
	if ch == nil {
		return
	}
	if cl.credit.Add(n) > 0 {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// The consuming side.

// Stream is the consuming end of a stream a call was answered with. Next
// reads its items in order; Close abandons it. Its methods are safe for
// concurrent use, though items are meant for one reader.
type Stream struct {
	c    *Conn
	seq  uint64
	what string

	mu       sync.Mutex
	items    []streamItem // items[head:] are waiting; the slice is reused once emptied
	head     int
	held     int64         // bytes of the items delivered and not consumed yet
	consumed int64         // bytes consumed since the last credit request
	wake     chan struct{} // closed when an item or the end arrives; nil when nobody waits
	ended    bool
	err      error // why it ended; nil: the producer finished it
	closed   bool
}

type streamItem struct {
	item  []byte // the item's JSON value
	blobs [][]byte
	size  int64 // the bytes of credit it stands for
}

// Next returns the next item: its JSON value and the blobs of the frame
// it came in (which a value that is a number may name). At the
// end of the stream it returns io.EOF, or the error that ended it. When
// ctx ends first it returns ctx's error, and the stream stays usable.
func (s *Stream) Next(ctx context.Context) (item []byte, blobs [][]byte, err error) {
	for {
		if ctx != nil && ctx.Err() != nil {
			// Checked first: a consumer whose context ended stops, even
			// with items at hand, and grants the producer nothing more.
			return nil, nil, ContextError(s.what, s.seq, ctx.Err())
		}
		s.mu.Lock()
		if s.head < len(s.items) {
			it := s.items[s.head]
			s.items[s.head] = streamItem{}
			if s.head++; s.head == len(s.items) {
				s.items, s.head = s.items[:0], 0
			}
			s.held -= it.size
			s.consumed += it.size
			grant := int64(0)
			if s.consumed >= wire.StreamWindow/2 && !s.ended {
				grant, s.consumed = s.consumed, 0
			}
			s.mu.Unlock()
			if grant > 0 {
				s.c.sendCredit(ctx, s.seq, grant)
			}
			return it.item, it.blobs, nil
		}
		switch {
		case s.closed:
			s.mu.Unlock()
			return nil, nil, fmt.Errorf("service %s: the stream was closed", s.what)
		case s.ended:
			err := s.err
			s.mu.Unlock()
			if err == nil {
				err = io.EOF
			}
			return nil, nil, err
		}
		if s.wake == nil {
			s.wake = make(chan struct{})
		}
		wake := s.wake
		s.mu.Unlock()
		if !s.c.awaitDone(ctx, wake) {
			return nil, nil, ContextError(s.what, s.seq, ctx.Err())
		}
	}
}

// Close abandons the stream: the producer is told to stop (a cancel of the
// call) and what arrives from now on is dropped. Closing a stream that has
// ended does nothing.
func (s *Stream) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.items, s.head, s.held = nil, 0, 0
	ended := s.ended
	s.mu.Unlock()
	if !ended && s.c.take(s.seq) != nil {
		s.c.sendCancel(s.seq)
	}
}

// push queues an item, and reports whether the stream takes more; the
// reader calls it. A producer that sends past its credit (the window, and
// one frame beyond) ends the stream: its consumer does not hold more than
// it granted.
func (s *Stream) push(item []byte, blobs [][]byte, size int64) bool {
	s.mu.Lock()
	if s.closed || s.ended {
		s.mu.Unlock()
		return false
	}
	if s.held+size > wire.StreamWindow+int64(s.c.cfg.MaxFrame) {
		s.mu.Unlock()
		s.fail(fmt.Errorf("service %s: %w: the peer sent past its credit (%d bytes held, window %d)",
			s.what, wire.ErrBadReply, s.held+size, wire.StreamWindow))
		return false
	}
	if len(s.items) == cap(s.items) && s.head > 0 {
		// Full, with consumed items in front: move the waiting ones down
		// rather than grow, so that a consumer always a few items behind
		// does not make the slice grow with the stream's length.
		n := copy(s.items, s.items[s.head:])
		clear(s.items[n:])
		s.items, s.head = s.items[:n], 0
	}
	s.items = append(s.items, streamItem{item: item, blobs: blobs, size: size})
	s.held += size
	s.signal()
	s.mu.Unlock()
	return true
}

// pushItems queues the items of one frame: its reply, an array of one
// item or, batched, of several. The frame's size is counted with its last
// item, so that credit is granted once the whole frame is consumed.
func (s *Stream) pushItems(reply []byte, blobs [][]byte, size int64) {
	var one [1][]byte
	items := one[:0]
	err := wire.EachElement(reply, func(elem []byte) { items = append(items, elem) })
	if err == nil && len(items) == 0 {
		err = errors.New("no item")
	}
	if err != nil {
		s.fail(fmt.Errorf("service %s: %w: a stream item frame's reply is not an array of items: %v", s.what, wire.ErrBadReply, err))
		return
	}
	for i, item := range items {
		n := int64(0)
		if i == len(items)-1 {
			n = size
		}
		if !s.push(item, blobs, n) {
			return
		}
	}
}

// fail ends the stream with err and stops its producer.
func (s *Stream) fail(err error) {
	s.end(err)
	if s.c.take(s.seq) != nil {
		s.c.sendCancel(s.seq)
	}
}

// end ends the stream with err (nil: the producer finished it).
func (s *Stream) end(err error) {
	s.mu.Lock()
	if !s.ended {
		s.ended, s.err = true, err
		s.signal()
	}
	s.mu.Unlock()
}

// finish ends the stream with the call's final response.
func (s *Stream) finish(resp *wire.Response, err error) {
	if err == nil && resp.Error != "" {
		err = &wire.Error{Code: resp.Code, Namespace: s.what, Message: resp.Error, Detail: resp.Detail}
	}
	if err != nil && !errors.As(err, new(*wire.Error)) {
		err = fmt.Errorf("service %s: %w", s.what, err)
	}
	s.end(err)
}

// signal wakes Next. s.mu is held.
func (s *Stream) signal() {
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

// deliverItem hands one item of a streamed response to its call. The
// first one (usually the opening frame, without a reply) opens the stream
// and lets Call return.
func (c *Conn) deliverItem(resp *wire.Response, blobs [][]byte, size int64) {
	c.mu.Lock() // fail looks at p.stream under it too
	p := c.pending[resp.Sequence]
	if p == nil {
		c.mu.Unlock()
		return // abandoned: its cancel is on its way
	}
	first := p.stream == nil
	if first {
		p.stream = &Stream{c: c, seq: resp.Sequence, what: p.what}
	}
	st := p.stream
	c.mu.Unlock()
	if len(resp.Reply) > 0 {
		st.pushItems(resp.Reply, blobs, size)
	}
	if first {
		p.finish()
	}
}

// sendCredit lets the producer of stream seq send n more bytes. It must
// reach the peer, which waits for it: it waits for room in the writer,
// reading meanwhile, unlike a cancel.
func (c *Conn) sendCredit(ctx context.Context, seq uint64, n int64) {
	frame := wire.AppendRequest(wire.GetBuf(), &wire.Request{Sequence: seq, Type: wire.TypeCredit,
		Args: strconv.AppendInt(nil, n, 10)})
	c.sendRequest(ctx, frame, nil) // an error means the connection is ending
	wire.PutBuf(frame)
}
