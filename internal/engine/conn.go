package engine

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// Defaults of Config.
const (
	DefaultMaxInFlight  = 1024
	DefaultDrainTimeout = 5 * time.Second
)

// Config configures a Conn. The zero value of a field means its default.
type Config struct {
	// Registry is served to the peer by Serve. Without one, the peer's
	// requests are refused with bad_request.
	Registry *registry.Registry
	// MaxFrame is the largest frame, blobs included, the connection
	// accepts or sends (default wire.DefaultMaxFrame).
	MaxFrame int
	// MaxInFlight bounds the peer's calls that run at once (default
	// DefaultMaxInFlight); as many more wait in a queue, then reading
	// stops: backpressure.
	MaxInFlight int
	// DrainTimeout bounds how long Serve waits for running services once
	// the connection has ended (default DefaultDrainTimeout).
	DrainTimeout time.Duration
	// Hello makes the connection say hello (protocol 2) as it starts,
	// without waiting for the answer: what the end that was started does.
	Hello bool
	// Logf reports what the peer cannot be told: recovered panics, frames
	// dropped for want of a sequence. Nil logs nothing.
	Logf func(format string, a ...any)
	// Values is the context whose values the served calls' contexts carry
	// (who the peer is, for instance). Its cancellation is not inherited:
	// the connection's own end cancels the calls. Nil means none.
	Values context.Context
	// ExplainEnd, when set, rewords an error of a call failed by the end of
	// the connection (one matching ErrClosed), in the caller's goroutine:
	// what the end means, a plugin's exit status for instance. It may wait
	// a little for that to be known.
	ExplainEnd func(err error) error
	// MaxPendingBytes bounds the bytes of arguments and blobs of the
	// peer's calls that are running or queued (default
	// DefaultMaxPendingBytes): past it, reading stops until calls finish,
	// as at the in-flight bound. A single call over it runs alone.
	MaxPendingBytes int
	// OnLeave, when set, takes the peer's leave notices (a plugin asking
	// its host to stop it, PROTOCOL.md section 6, health). It is called on
	// the reader before the notice is answered, so that what it records
	// is known before the peer can act on the answer, and must not block;
	// the func it returns, if any, runs on a goroutine of its own once the
	// answer is queued (closing the stream, stopping the plugin). Without
	// it a leave notice is answered unknown_service.
	OnLeave func(reason string) (after func())
}

func (cfg Config) withDefaults() Config {
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = wire.DefaultMaxFrame
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	if cfg.MaxPendingBytes <= 0 {
		cfg.MaxPendingBytes = DefaultMaxPendingBytes
	}
	return cfg
}

// Conn is one connection. Its methods are safe for concurrent use.
type Conn struct {
	cfg Config
	r   io.Reader
	w   io.Writer
	fr  *wire.Framer
	wr  *wire.Writer

	// ctx is the parent of the contexts of the calls this end serves; it
	// is canceled, with a cause, when the connection ends.
	ctx    context.Context
	cancel context.CancelCauseFunc

	seq atomic.Uint64 // the last sequence of a call this end made

	peer      atomic.Pointer[wire.Hello] // the peer's hello; nil before it, or protocol 1
	helloDone chan struct{}              // closed once our hello is answered or abandoned
	helloOnce sync.Once

	// Reading (see read.go).
	token   chan struct{} // the read token while nobody reads; nil when callers never read
	looping bool          // a goroutine reads, from New on (a reader without deadlines)
	// serveWanted: Serve waits for the token; callers reading give it up.
	serveWanted atomic.Bool
	served      chan struct{} // closed once Serve has taken the token
	serveBegun  atomic.Bool   // a Serve has begun (takeReading)
	stopping    atomic.Bool   // Serve's context ended: readers stop
	// Lending (serve.go): a serving reader that has just answered a
	// caller gives the token up (lent) so that the next caller reads its
	// own reply, with no hand-off between goroutines; the watchdog takes
	// it back for a reader of Serve's once callers leave it idle.
	lent    atomic.Bool
	takes   atomic.Uint64 // times a caller took the token (for the watchdog)
	waiting atomic.Int32  // callers waiting in awaitDone
	// lendMisses counts the lends in a row that ended in reclaim rather
	// than with a caller taking the token: each doubles the answers that
	// are not lent.
	lendMisses atomic.Int32
	lingering  atomic.Int32   // readers whose inline call was handed over, not stopped yet
	readers    sync.WaitGroup // goroutines reading on their own
	rd         frameRead      // the frame being read, kept for its blobs when a reader is woken

	// Serving (see serve.go).
	calls     sync.WaitGroup // the served calls' goroutines
	room      chan struct{}  // signaled when a served call leaves the in-flight set
	readDone  chan error     // the error that ended Serve's last reader
	readEnded atomic.Bool    // Serve's reading is over
	readGen   atomic.Uint64  // the generation of Serve's current reader
	inline    inlineWatch    // the call the reader runs inline (serve.go)
	quickSvcs sync.Map       // *registry.Service: bool, whether its last call was quick (served.go)

	dead chan struct{} // closed by fail

	callbacks callbackTable // funcs this end lent to the peer (callback.go)

	reg    atomic.Pointer[registry.Registry] // served to the peer, once Serve has begun
	peerCh chan struct{}                     // closed and replaced when the peer's hello changes

	mu       sync.Mutex
	err      error                   // terminal, set by fail: matches ErrClosed
	pending  map[uint64]*pendingCall // calls this end made, by sequence
	inflight map[uint64]*call        // served calls running and queued, by sequence
	queue    []*call                 // served calls waiting for a slot, in order
	running  int                     // served calls holding a slot
	held     int64                   // bytes of the served calls' args and blobs, bounded by MaxPendingBytes

	closeOnce sync.Once
}

// New returns a connection reading the peer's frames from r and writing
// its own to w. A connection with a Registry serves it once Serve is
// called; without one, its callers read the responses themselves when r
// can be woken (pipes, FIFOs, sockets), else a goroutine reads.
func New(r io.Reader, w io.Writer, cfg Config) *Conn {
	cfg = cfg.withDefaults()
	base := context.Background()
	if cfg.Values != nil {
		base = context.WithoutCancel(cfg.Values)
	}
	maker := &callbackMaker{}
	base = wire.WithCallbacks(base, maker)
	ctx, cancel := context.WithCancelCause(base)
	c := &Conn{
		cfg:       cfg,
		r:         r,
		w:         w,
		fr:        wire.NewFramer(r, cfg.MaxFrame),
		wr:        wire.NewWriter(w, 0),
		ctx:       ctx,
		cancel:    cancel,
		helloDone: make(chan struct{}),
		room:      make(chan struct{}, 1),
		readDone:  make(chan error, 1),
		dead:      make(chan struct{}),
		pending:   make(map[uint64]*pendingCall),
		inflight:  make(map[uint64]*call),
		peerCh:    make(chan struct{}),
		served:    make(chan struct{}),
	}
	maker.c = c
	c.fr.BeforeRead(c.wr.Flush) // see sendInline
	c.inline.init(c)
	if cfg.Registry == nil {
		c.startReading()
	} else {
		c.reg.Store(cfg.Registry)
		if c.fr.Wakeable() {
			// Serve takes the token first (nobody reads before it);
			// callers may read once it lends it.
			c.token = make(chan struct{}, 1)
			c.token <- struct{}{}
			c.serveWanted.Store(true)
		}
	}
	if cfg.Hello {
		c.sayHello()
	} else {
		close(c.helloDone)
	}
	return c
}

// NewFailed returns a connection on which every call fails with err.
func NewFailed(err error) *Conn {
	c := &Conn{
		err:       err,
		helloDone: make(chan struct{}),
		dead:      make(chan struct{}),
		pending:   make(map[uint64]*pendingCall),
		inflight:  make(map[uint64]*call),
	}
	close(c.helloDone)
	close(c.dead)
	c.closeOnce.Do(func() {})
	return c
}

// Err returns the error that ended the connection, nil while it lasts.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.dead }

// HelloAnswered is closed once this end's hello has been answered or
// abandoned (at once when it says none).
func (c *Conn) HelloAnswered() <-chan struct{} { return c.helloDone }

// fail ends the connection with cause: every call waiting for a response
// fails, senders waiting for room give up, and the served calls' contexts
// are canceled. The first cause is kept.
func (c *Conn) fail(cause error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = ClosedError(cause)
	pending := c.pending
	c.pending = make(map[uint64]*pendingCall)
	close(c.dead)
	c.mu.Unlock()
	c.cancel(errConnEnded)
	for _, p := range pending {
		if p.stream != nil {
			p.stream.end(c.err)
			continue
		}
		p.err = c.err
		p.finish()
	}
}

// Close ends the connection: it fails every pending call with ErrClosed,
// closes r and w when they are io.Closers (else interrupts them through
// their deadlines) and returns once every goroutine it started has ended.
// It is idempotent. A serving connection is ended by Serve instead.
func (c *Conn) Close() error {
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

// registry returns the registry served to the peer, nil before Serve.
func (c *Conn) registry() *registry.Registry { return c.reg.Load() }

// setPeer records the peer's hello and wakes AwaitPeer.
func (c *Conn) setPeer(h *wire.Hello) {
	c.mu.Lock()
	c.peer.Store(h)
	close(c.peerCh)
	c.peerCh = make(chan struct{})
	c.mu.Unlock()
}

// AwaitPeer waits until the peer's hello lists feature f, the connection
// ends or ctx ends.
func (c *Conn) AwaitPeer(ctx context.Context, f string) error {
	for {
		c.mu.Lock()
		ch, err := c.peerCh, c.err
		c.mu.Unlock()
		if c.PeerHas(f) {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-c.dead:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// CloseWrite ends the stream to the peer, after the frames already
// queued: the peer reads the end of its input (a plugin in service.Serve
// returns), while this end goes on reading what the peer still sends.
func (c *Conn) CloseWrite() error {
	c.wr.Close(true)
	if cl, ok := c.w.(io.Closer); ok && any(c.r) != any(c.w) {
		return cl.Close()
	}
	return nil
}

// Protocol returns the protocol version agreed with the peer: 2 once it
// has said or answered hello as a protocol 2 peer, 1 otherwise.
func (c *Conn) Protocol() int {
	if c.peer.Load() != nil {
		return 2
	}
	return 1
}

// PeerHas reports whether the peer's hello listed feature f.
func (c *Conn) PeerHas(f string) bool { return c.peer.Load().Has(f) }

// BlobThreshold is the size from which a []byte travels as a blob to this
// peer, -1 when it takes none.
func (c *Conn) BlobThreshold() int { return c.peer.Load().BlobThreshold() }

// maxFrame is the limit of frames sent to the peer.
func (c *Conn) maxFrame() int { return c.peer.Load().MaxFrameWith(c.cfg.MaxFrame) }

func (c *Conn) logf(format string, a ...any) {
	if c.cfg.Logf != nil {
		c.cfg.Logf(format, a...)
	}
}
