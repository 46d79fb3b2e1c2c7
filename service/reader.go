package service

import (
	"context"
	"errors"

	"github.com/hostcall/hostcall/internal/wire"
)

// await waits until p is done, reading responses itself when nobody else
// is, and reports false when ctx ended first (ctx may be nil).
//
// When the connection can be woken (Framer.Wakeable), there is no reader
// goroutine: a waiting caller takes the read token and reads, routing every
// response it reads to its caller, until its own arrives; then it hands the
// token back for the next waiting caller. A single caller thus reads its
// own response, woken by the runtime's poller directly: no hand-off from a
// reader goroutine, which between processes costs more than the call.
func (c *Client) await(ctx context.Context, p *pendingCall) bool {
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Done()
	}
	for {
		select {
		case <-p.done:
			return true
		case <-cancel:
			return false
		case <-c.token: // a nil channel without a token: never ready
			woken := c.readUntil(ctx, p.done)
			c.token <- struct{}{}
			if !woken {
				return true
			}
		}
	}
}

// readUntil reads and routes responses until done is closed (it reports
// false) or ctx ends (true). The caller holds the read token.
func (c *Client) readUntil(ctx context.Context, done <-chan struct{}) (woken bool) {
	if ctx != nil && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, c.fr.Wake)
		defer stop()
	}
	for {
		select {
		case <-done:
			return false
		default:
		}
		if ctx != nil && ctx.Err() != nil {
			return true
		}
		if err := c.readOne(); err != nil {
			c.fail(err)
			return false // fail closed done, as every pending call's
		}
	}
}

// readOne reads and routes one frame. ErrWoken is not an error: the caller
// looks at its context again.
func (c *Client) readOne() error {
	fr, err := c.fr.NextWakeable()
	if errors.Is(err, wire.ErrWoken) {
		return nil
	}
	if err != nil {
		return err
	}
	return c.handleFrame(fr)
}

// readHello reads until hello is answered, unless a caller reads it first.
func (c *Client) readHello() {
	defer c.readers.Done()
	select {
	case <-c.helloDone:
	case <-c.token:
		c.readUntil(nil, c.helloDone)
		c.token <- struct{}{}
	}
}

// send queues a request. Without a reader goroutine, a caller that has to
// wait for room in the writer's queue reads responses meanwhile when nobody
// else does: the host may have stopped reading because its own responses
// are waiting to be read, and every caller could be waiting here.
func (c *Client) send(ctx context.Context, frame []byte, blobs [][]byte) error {
	if c.token == nil {
		return c.wr.SendBlobs(ctx, frame, blobs)
	}
	for {
		ok, err := c.wr.TrySendBlobs(frame, blobs)
		if ok || err != nil {
			return err
		}
		if err := c.readWhileFull(ctx); err != nil {
			return err
		}
	}
}

// readWhileFull waits for room in the writer's queue, reading responses
// while it waits if it can take the read token.
func (c *Client) readWhileFull(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	space := c.wr.Space()
	select {
	case <-space:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.token:
	}
	wctx, wake := context.WithCancel(ctx)
	go func() {
		select {
		case <-space:
			wake()
		case <-wctx.Done():
		}
	}()
	c.readUntil(wctx, space)
	wake()
	c.token <- struct{}{}
	return ctx.Err()
}
