package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// startCall runs a call in its own goroutine once an in-flight slot is
// free. Waiting for the slot holds up the reader: that is the backpressure.
func (c *conn) startCall(req *wire.Request, blobs [][]byte) {
	select {
	case c.slots <- struct{}{}:
	case <-c.ctx.Done():
		return
	}
	ctx, cancel := c.callContext(req.Timeout)
	name := req.Namespace + "." + req.Name
	c.mu.Lock()
	if _, dup := c.inflight[req.Sequence]; dup {
		c.mu.Unlock()
		cancel()
		<-c.slots
		c.replyError(req.Sequence, wire.CodeBadRequest,
			fmt.Sprintf("sequence %d is already in flight (%s): sequences must not be reused", req.Sequence, name))
		return
	}
	c.inflight[req.Sequence] = &running{service: name, cancel: cancel}
	c.mu.Unlock()
	c.calls.Add(1)
	go c.runCall(ctx, req, blobs)
}

// callContext derives a call's context from the connection's, with the
// request's timeout when it has one.
func (c *conn) callContext(timeout int64) (context.Context, context.CancelFunc) {
	if timeout != 0 {
		return context.WithTimeout(c.ctx, time.Duration(timeout))
	}
	return context.WithCancel(c.ctx)
}

// cancelCall cancels call seq if it is still running. A cancel has no
// response of its own: the call answers, usually with code canceled.
func (c *conn) cancelCall(seq uint64) {
	c.mu.Lock()
	r := c.inflight[seq]
	c.mu.Unlock()
	if r != nil {
		r.cancel()
	}
}

func (c *conn) runCall(ctx context.Context, req *wire.Request, blobs [][]byte) {
	defer func() {
		c.mu.Lock()
		r := c.inflight[req.Sequence]
		delete(c.inflight, req.Sequence)
		c.mu.Unlock()
		r.cancel()
		<-c.slots
		c.calls.Done()
	}()
	frame, out, err := c.invoke(ctx, req, blobs)
	if err != nil {
		c.replyError(req.Sequence, callCode(ctx, err), err.Error())
		return
	}
	c.wr.SendBlobs(c.ctx, frame, out) // an error means the connection is ending
	putBuf(frame)
}

// minBlob is the size from which a []byte result travels as a blob, when
// the plugin accepts them: below it, base64 in the frame costs less than
// the blob's bookkeeping.
const minBlob = 512

// invoke calls the service and returns its whole response frame and the
// blobs that follow it.
func (c *conn) invoke(ctx context.Context, req *wire.Request, blobs [][]byte) ([]byte, [][]byte, error) {
	svc, err := c.reg.Lookup(req.Namespace, req.Name)
	if err != nil {
		return nil, nil, err
	}
	peer := c.peerHello()
	threshold := -1
	if peer.Has(wire.FeatureBlobs) {
		threshold = minBlob
	}
	head := append(getBuf(), `{"sequence":`...)
	head = strconv.AppendUint(head, req.Sequence, 10)
	head = append(head, `,"reply":`...)
	buf, out, err := svc.InvokeBlobs(ctx, req.Args, blobs, head, threshold)
	if err != nil {
		putBuf(buf)
		var pe *registry.PanicError
		if errors.As(err, &pe) {
			c.logf("host: %v (sequence %d)\n%s", pe, req.Sequence, pe.Stack)
		}
		return nil, nil, err
	}
	buf = append(buf, "}\n"...)
	if len(out) > 0 {
		buf = withBlobs(buf, req.Sequence, out)
	}
	size := len(buf)
	for _, b := range out {
		size += len(b)
	}
	if max := c.maxFrameFor(peer); size > max {
		putBuf(buf)
		return nil, nil, &tooLargeError{fmt.Sprintf("result of %s.%s is %d bytes, over the frame limit of %d bytes",
			req.Namespace, req.Name, size, max)}
	}
	return buf, out, nil
}

// withBlobs rewrites a response frame {"sequence":N,"reply":...} to carry
// the blobs member after its sequence, as senders place it.
func withBlobs(frame []byte, seq uint64, blobs [][]byte) []byte {
	rest := frame[bytes.IndexByte(frame, ',')+1:]
	out := append(getBuf(), `{"sequence":`...)
	out = strconv.AppendUint(out, seq, 10)
	out = append(out, `,"blobs":[`...)
	for i, b := range blobs {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendInt(out, int64(len(b)), 10)
	}
	out = append(out, "],"...)
	out = append(out, rest...)
	putBuf(frame)
	return out
}

type tooLargeError struct{ msg string }

func (e *tooLargeError) Error() string { return e.msg }

// callCode classifies a failed call. A service that fails after its context
// ended is reported as canceled or past its deadline, whatever it returned.
func callCode(ctx context.Context, err error) string {
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return wire.CodeTooLarge
	}
	var se *registry.ServiceError
	if errors.As(err, &se) && ctx.Err() != nil {
		if context.Cause(ctx) == errShutdown {
			return wire.CodeUnavailable
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return wire.CodeDeadlineExceeded
		}
		return wire.CodeCanceled
	}
	return codeOf(err)
}
