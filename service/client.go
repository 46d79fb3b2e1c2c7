package service

import (
	"context"
	"io"
	"sync"

	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/internal/wire"
)

// Client is a plugin's connection to its host. It is safe for concurrent
// use; the funcs GetService fills share it and may be called from many
// goroutines at once.
type Client struct {
	conn *engine.Conn

	logsMu sync.Mutex
	logs   *logSink // the sink of LogHandler's handlers; nil before the first

	in  io.Reader // the streams, for the orphan guard
	out io.Writer

	guardMu   sync.Mutex
	guardStop func() // stops the orphan guard; nil without one
}

// ClientOption configures NewClient.
type ClientOption func(*clientConfig)

type clientConfig = engine.Config

// WithMaxFrameSize sets the largest frame the client sends or accepts
// (default 64 MiB).
func WithMaxFrameSize(n int) ClientOption {
	return func(c *clientConfig) {
		if n > 0 {
			c.MaxFrame = n
		}
	}
}

// WithProtocol1 makes the client speak protocol 1 only: no hello, so no
// cancel frames and no timeouts are sent.
func WithProtocol1() ClientOption {
	return func(c *clientConfig) { c.Hello = false }
}

// NewClient starts a client that reads the host's responses from r and
// writes requests to w, and says hello (protocol 2) without waiting for the
// answer. The client owns r and w: Close closes them when they are
// io.Closers.
func NewClient(r io.Reader, w io.Writer, opts ...ClientOption) *Client {
	cfg := clientConfig{MaxFrame: wire.DefaultMaxFrame, Hello: true}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cfg.Registry = nil // served by Serve
	return &Client{conn: engine.New(r, w, cfg), in: r, out: w}
}

// newFailedClient returns a client on which every call fails with err.
func newFailedClient(err error) *Client {
	return &Client{conn: engine.NewFailed(err)}
}

// Protocol returns the protocol version agreed with the host: 2 once the
// host has answered hello as a protocol 2 host, 1 otherwise.
func (c *Client) Protocol() int { return c.conn.Protocol() }

// Close ends the connection: it closes the streams and fails every pending
// call with ErrClosed. It is idempotent and returns once the goroutines the
// client started have ended. Records queued by the client's log handlers
// are sent first, for a second at most; the rest are written on stderr.
func (c *Client) Close() error {
	c.stopGuard() // its copies of the descriptors must not keep the streams open
	wait := c.closeLogs()
	err := c.conn.Close()
	wait()
	return err
}

// call sends req and waits for its reply; a reply carrying an error is
// returned as a *RemoteError naming ns and name.
func (c *Client) call(ctx context.Context, what, ns, name string, req *wire.Request, blobs [][]byte) (*engine.Reply, error) {
	rep := new(engine.Reply)
	if err := c.callInto(ctx, what, ns, name, req, blobs, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// callInto is call with the reply written to *rep.
func (c *Client) callInto(ctx context.Context, what, ns, name string, req *wire.Request, blobs [][]byte, rep *engine.Reply) error {
	if err := c.conn.CallReply(ctx, what, req, blobs, rep); err != nil {
		return err
	}
	if rep.Error != "" {
		return &RemoteError{Code: rep.Code, Namespace: ns, Name: name, Message: rep.Error, Detail: rep.Detail}
	}
	return nil
}

// stopGuard stops the orphan guard, if any, and keeps it from starting:
// the connection is being ended from this side.
func (c *Client) stopGuard() {
	c.guardMu.Lock()
	stop := c.guardStop
	c.guardStop = func() {} // stopped, and never started again
	c.guardMu.Unlock()
	if stop != nil {
		stop()
	}
}
