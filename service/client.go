package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hostcall/hostcall/internal/wire"
)

// Client is a plugin's connection to its host. It is safe for concurrent
// use; the funcs GetService fills share it and may be called from many
// goroutines at once.
type Client struct {
	cfg clientConfig
	r   io.Reader
	w   io.Writer
	fr  *wire.Framer
	wr  *wire.Writer

	seq atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]*pendingCall
	err     error // terminal: set when the connection ended, matches ErrClosed

	host      atomic.Pointer[wire.Hello] // the host's hello answer; nil before it, or protocol 1
	helloDone chan struct{}              // closed once hello is answered or abandoned
	helloOnce sync.Once

	// Reading: when the reader can be woken (pipes, FIFOs, sockets), the
	// callers read for themselves, one at a time, holding token (see
	// reader.go); otherwise readLoop reads in a goroutine of its own.
	token     chan struct{}  // holds the read token while nobody reads; nil without
	readers   sync.WaitGroup // readLoop, or the goroutine reading hello's answer
	closeOnce sync.Once
}

// pendingCall waits for one response.
type pendingCall struct {
	done  chan struct{}
	resp  wire.Response
	blobs [][]byte
	err   error
	// onDone, when set, is called by the reader instead of closing done.
	onDone func(*pendingCall)
}

// ClientOption configures NewClient.
type ClientOption func(*clientConfig)

type clientConfig struct {
	maxFrame int
	hello    bool
}

// WithMaxFrameSize sets the largest frame the client sends or accepts
// (default 64 MiB).
func WithMaxFrameSize(n int) ClientOption {
	return func(c *clientConfig) {
		if n > 0 {
			c.maxFrame = n
		}
	}
}

// WithProtocol1 makes the client speak protocol 1 only: no hello, so no
// cancel frames and no timeouts are sent.
func WithProtocol1() ClientOption {
	return func(c *clientConfig) { c.hello = false }
}

// NewClient starts a client that reads the host's responses from r and
// writes requests to w, and says hello (protocol 2) without waiting for the
// answer. The client owns r and w: Close closes them when they are
// io.Closers.
func NewClient(r io.Reader, w io.Writer, opts ...ClientOption) *Client {
	cfg := clientConfig{maxFrame: wire.DefaultMaxFrame, hello: true}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	c := &Client{
		cfg:       cfg,
		r:         r,
		w:         w,
		fr:        wire.NewFramer(r, cfg.maxFrame),
		wr:        wire.NewWriter(w, 0),
		pending:   make(map[uint64]*pendingCall),
		helloDone: make(chan struct{}),
	}
	if c.fr.Wakeable() {
		c.token = make(chan struct{}, 1)
		c.token <- struct{}{}
	} else {
		c.readers.Add(1)
		go c.readLoop()
	}
	if cfg.hello {
		c.sayHello()
		if c.token != nil {
			c.readers.Add(1)
			go c.readHello()
		}
	} else {
		close(c.helloDone)
	}
	return c
}

// newFailedClient returns a client on which every call fails with err.
func newFailedClient(err error) *Client {
	c := &Client{
		pending:   make(map[uint64]*pendingCall),
		err:       err,
		helloDone: make(chan struct{}),
	}
	close(c.helloDone)
	c.closeOnce.Do(func() {})
	return c
}

// sayHello sends hello; the reader records the answer. A protocol 1 host
// answers with an error, and the client stays in protocol 1 mode.
func (c *Client) sayHello() {
	args, _ := wire.JSON.Marshal(wire.Hello{
		Protocol: wire.Protocol,
		Features: []string{wire.FeatureCancel, wire.FeatureTimeout, wire.FeatureCodes, wire.FeatureBlobs},
		MaxFrame: int64(c.cfg.maxFrame),
	})
	p := &pendingCall{onDone: func(p *pendingCall) {
		if p.err == nil && p.resp.Error == "" {
			var h wire.Hello
			if wire.JSON.Unmarshal(p.resp.Reply, &h) == nil && h.Protocol >= 2 {
				c.host.Store(&h)
			}
		}
		c.helloOnce.Do(func() { close(c.helloDone) })
	}}
	if _, err := c.start(nil, &wire.Request{Type: wire.TypeHello, Args: args}, nil, p); err != nil {
		c.helloOnce.Do(func() { close(c.helloDone) })
	}
}

// hostHas reports whether the host's hello listed feature f.
func (c *Client) hostHas(f string) bool { return c.host.Load().Has(f) }

// Protocol returns the protocol version agreed with the host: 2 once the
// host has answered hello as a protocol 2 host, 1 otherwise.
func (c *Client) Protocol() int {
	if c.host.Load() != nil {
		return 2
	}
	return 1
}

// Close ends the connection: it closes the streams and fails every pending
// call with ErrClosed. It is idempotent and returns once the goroutines the
// client started have ended.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.fail(ErrClosed)
		if cl, ok := c.w.(io.Closer); ok {
			err = cl.Close()
		} else {
			wire.InterruptWrite(c.w)
		}
		c.wr.Close(false)
		if cl, ok := c.r.(io.Closer); ok && any(c.r) != any(c.w) {
			if e := cl.Close(); err == nil {
				err = e
			}
		} else if !ok {
			wire.InterruptRead(c.r)
		}
		c.readers.Wait()
	})
	return err
}

// fail ends the connection with cause and fails every pending call.
func (c *Client) fail(cause error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = closedError(cause)
	pending := c.pending
	c.pending = make(map[uint64]*pendingCall)
	c.mu.Unlock()
	for _, p := range pending {
		p.err = c.err
		p.finish()
	}
}

func (p *pendingCall) finish() {
	if p.onDone != nil {
		p.onDone(p)
		return
	}
	close(p.done)
}

// readLoop is the connection's only reader: it routes each response to its
// pending call and, when the stream ends, fails them all.
func (c *Client) readLoop() {
	defer c.readers.Done()
	for {
		fr, err := c.fr.Next()
		if err != nil {
			c.fail(err)
			return
		}
		if err := c.handleFrame(fr); err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *Client) handleFrame(fr wire.Frame) error {
	if fr.TooLarge {
		rec := wire.Recover(fr.Head)
		if _, err := c.fr.ReadBlobs(rec.Blobs, false); err != nil {
			return err
		}
		c.deliverError(rec, fmt.Errorf("%w: response of %d bytes is over the limit of %d bytes", ErrTooLarge, fr.Size, c.cfg.maxFrame))
		return nil
	}
	var resp wire.Response
	if err := wire.ParseResponse(fr.Data, &resp); err != nil {
		rec := wire.Recover(fr.Data)
		if _, err := c.fr.ReadBlobs(rec.Blobs, false); err != nil {
			return err
		}
		c.deliverError(rec, fmt.Errorf("%w: %v", ErrBadReply, err))
		return nil
	}
	if resp.Type != "" {
		// A request travelling host to plugin: reserved for later protocol
		// versions (PROTOCOL.md section 6). Never a reply to our own call.
		if _, err := c.fr.ReadBlobs(resp.Blobs, false); err != nil {
			return err
		}
		c.refuse(resp.Sequence, resp.Type)
		return nil
	}
	blobs, err := c.fr.ReadBlobs(resp.Blobs, true)
	if errors.Is(err, wire.ErrBlobsTooLarge) {
		// Consumed and dropped: the stream is still in step.
		c.deliverError(wire.Recovered{Sequence: resp.Sequence, HasSequence: true},
			fmt.Errorf("%w: response of %d bytes with its blobs is over the limit of %d bytes",
				ErrTooLarge, wire.FrameSize(fr.Size, resp.Blobs), c.cfg.maxFrame))
		return nil
	}
	if err != nil {
		return err
	}
	if p := c.take(resp.Sequence); p != nil {
		p.resp, p.blobs = resp, blobs
		p.finish()
	}
	return nil
}

// refuse answers a request from the host with bad_request: this client
// serves nothing. The answer is dropped if the writer has no room.
func (c *Client) refuse(seq uint64, typ string) {
	frame := wire.AppendResponse(wire.GetBuf(), &wire.Response{Sequence: seq, Code: wire.CodeBadRequest,
		Error: fmt.Sprintf("this plugin serves no requests (got %q)", typ)})
	c.wr.TrySendBlobs(frame, nil) // dropped if the queue is full
	wire.PutBuf(frame)
}

// deliverError fails the call a bad frame was meant for, when its sequence
// is known; otherwise the frame is dropped.
func (c *Client) deliverError(rec wire.Recovered, err error) {
	if !rec.HasSequence {
		return
	}
	if p := c.take(rec.Sequence); p != nil {
		p.err = err
		p.finish()
	}
}

// take removes and returns the pending call seq, nil when there is none
// (a response nobody waits for is dropped).
func (c *Client) take(seq uint64) *pendingCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[seq]
	delete(c.pending, seq)
	return p
}

// start registers p and sends req with a fresh sequence. It returns the
// sequence.
func (c *Client) start(ctx context.Context, req *wire.Request, blobs [][]byte, p *pendingCall) (uint64, error) {
	req.Sequence = c.seq.Add(1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return req.Sequence, err
	}
	c.pending[req.Sequence] = p
	c.mu.Unlock()
	frame := wire.AppendRequest(wire.GetBuf(), req)
	defer wire.PutBuf(frame)
	size := len(frame)
	for _, b := range blobs {
		size += len(b)
	}
	if max := c.maxFrame(); size > max {
		c.take(req.Sequence)
		return req.Sequence, fmt.Errorf("%w: request of %d bytes is over the frame limit of %d bytes", ErrTooLarge, size, max)
	}
	if err := c.send(ctx, frame, blobs); err != nil {
		c.take(req.Sequence)
		if ctx != nil && ctx.Err() != nil {
			return req.Sequence, err
		}
		return req.Sequence, closedError(err)
	}
	return req.Sequence, nil
}

// maxFrame is the smaller of the two ends' limits.
func (c *Client) maxFrame() int {
	if h := c.host.Load(); h != nil && h.MaxFrame > 0 && h.MaxFrame < int64(c.cfg.maxFrame) {
		return int(h.MaxFrame)
	}
	return c.cfg.maxFrame
}

// roundTrip sends req and waits for its response or for ctx to end (ctx
// may be nil). what names the call in errors.
func (c *Client) roundTrip(ctx context.Context, what string, req *wire.Request, blobs [][]byte) (*pendingCall, error) {
	p := &pendingCall{done: make(chan struct{})}
	seq, err := c.start(ctx, req, blobs, p)
	if err != nil {
		if ctx != nil && ctx.Err() != nil {
			return nil, contextError(what, seq, ctx.Err())
		}
		return nil, fmt.Errorf("service %s: %w", what, err)
	}
	if !c.await(ctx, p) {
		if c.take(seq) == nil {
			<-p.done // the response won the race
		} else {
			// A deadline that travelled as the call's timeout expires in
			// the host on its own; anything else is canceled explicitly.
			if !(req.Timeout != 0 && errors.Is(ctx.Err(), context.DeadlineExceeded)) {
				c.sendCancel(seq)
			}
			return nil, contextError(what, seq, ctx.Err())
		}
	}
	if p.err != nil {
		return nil, fmt.Errorf("service %s: %w", what, p.err)
	}
	return p, nil
}

// sendCancel asks the host to cancel call seq, without waiting for room in
// the writer's queue: a caller that gave up returns at once.
func (c *Client) sendCancel(seq uint64) {
	if !c.hostHas(wire.FeatureCancel) {
		return
	}
	frame := wire.AppendRequest(wire.GetBuf(), &wire.Request{Sequence: seq, Type: wire.TypeCancel})
	c.wr.TrySendBlobs(frame, nil) // dropped if the queue is full
	wire.PutBuf(frame)
}

// remoteError turns a response's error into a *RemoteError.
func remoteError(ns, name string, resp *wire.Response) error {
	return &RemoteError{Code: resp.Code, Namespace: ns, Name: name, Message: resp.Error}
}
