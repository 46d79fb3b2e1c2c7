package host

import (
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
	frame, err := c.invoke(ctx, req, blobs)
	if err != nil {
		c.replyError(req.Sequence, callCode(ctx, err), err.Error())
		return
	}
	c.sendFrame(frame)
}

// invoke calls the service and returns its whole response frame.
func (c *conn) invoke(ctx context.Context, req *wire.Request, blobs [][]byte) ([]byte, error) {
	svc, err := c.reg.Lookup(req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	buf := append(getBuf(), `{"sequence":`...)
	buf = strconv.AppendUint(buf, req.Sequence, 10)
	buf = append(buf, `,"reply":`...)
	buf, err = svc.Invoke(ctx, req.Args, blobs, buf)
	if err != nil {
		putBuf(buf)
		var pe *registry.PanicError
		if errors.As(err, &pe) {
			c.logf("host: %v (sequence %d)\n%s", pe, req.Sequence, pe.Stack)
		}
		return nil, err
	}
	buf = append(buf, "}\n"...)
	if max := c.peerMaxFrame(); len(buf) > max {
		n := len(buf)
		putBuf(buf)
		return nil, &tooLargeError{fmt.Sprintf("result of %s.%s is %d bytes, over the frame limit of %d bytes",
			req.Namespace, req.Name, n, max)}
	}
	return buf, nil
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
