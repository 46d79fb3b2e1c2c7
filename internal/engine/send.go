package engine

import (
	"context"

	"github.com/hostcall/hostcall/internal/wire"
)

// reply queues a response to a served request. It waits for room in the
// writer's queue unless the connection has ended: a response is dropped
// only when nobody can read it any more.
func (c *Conn) reply(resp *wire.Response) {
	buf := wire.AppendResponse(wire.GetBuf(), resp)
	c.wr.Send(c.ctx, buf) // an error means the connection is ending
	wire.PutBuf(buf)
}

func (c *Conn) replyError(seq uint64, code, msg string) {
	c.reply(&wire.Response{Sequence: seq, Error: msg, Code: code})
}

// trySend queues a frame if the writer has room at once, else drops it:
// for frames that nobody waits for (cancel, a refusal), sent from a reader
// that must not block.
func (c *Conn) trySend(frame []byte) {
	c.wr.TrySendBlobs(frame, nil)
	wire.PutBuf(frame)
}

// sendRequest queues a request frame and its blobs. While the writer's
// queue is full it waits for room, for ctx (which may be nil) or for the
// end of the connection; a caller that can take the read token reads
// meanwhile, since the peer may have stopped reading until its own
// responses are read.
func (c *Conn) sendRequest(ctx context.Context, frame []byte, blobs [][]byte) error {
	for {
		if err := c.Err(); err != nil {
			return err
		}
		ok, err := c.wr.TrySendBlobs(frame, blobs)
		if ok || err != nil {
			return err
		}
		if err := c.waitRoom(ctx); err != nil {
			return err
		}
	}
}

// waitRoom waits until the writer's queue has room, ctx ends or the
// connection fails, reading frames meanwhile if it can take the token.
func (c *Conn) waitRoom(ctx context.Context) error {
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Done()
	}
	space := c.wr.Space()
	token, served := c.tokenFor()
	select {
	case <-space:
		return nil
	case <-cancel:
		return ctx.Err()
	case <-c.dead:
		return c.Err()
	case <-served:
		return nil // Serve has the token: sendRequest tries again
	case <-token:
	}
	if ctx == nil {
		ctx = context.Background()
	}
	wctx, wake := context.WithCancel(ctx)
	go func() {
		select {
		case <-space:
		case <-c.dead:
		case <-wctx.Done():
		}
		wake()
	}()
	c.readHolding(wctx, space)
	wake()
	return ctx.Err()
}
