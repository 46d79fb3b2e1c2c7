package main

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/opener"
)

// hostConn is the connection of one hostcall call: one hello, one call,
// read up to its own reply and no further, so that the next hostcall call
// of a shell plugin finds the pipe as this one found it. Sequences start
// at a random 53-bit number, so that a late reply to an earlier process's
// call (one that timed out) is never taken for this one's.
type hostConn struct {
	in   io.ReadCloser
	out  io.WriteCloser
	fr   *wire.Framer
	seq  uint64
	peer *wire.Hello // nil for a protocol 1 host
}

// remoteError is an error the host answered with.
type remoteError struct{ code, message string }

func (e *remoteError) Error() string {
	if e.code == "" {
		return e.message
	}
	return e.code + ": " + e.message
}

// dialHost opens the host's URLs: one read-write, or input then output.
func dialHost(urls []string) (*hostConn, error) {
	switch len(urls) {
	case 1:
		rw, err := opener.Open(urls[0], os.O_RDWR)
		if err != nil {
			return nil, fmt.Errorf("connecting to the host: %w", err)
		}
		return newHostConn(rw, rw), nil
	case 2:
		in, err := opener.Open(urls[0], os.O_RDONLY)
		if err != nil {
			return nil, fmt.Errorf("connecting to the host: %w", err)
		}
		out, err := opener.Open(urls[1], os.O_WRONLY)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("connecting to the host: %w", err)
		}
		return newHostConn(in, out), nil
	}
	return nil, fmt.Errorf("%d host URLs %q: want one (read-write) or two (input, output)", len(urls), urls)
}

func newHostConn(in io.ReadCloser, out io.WriteCloser) *hostConn {
	var b [8]byte
	_, _ = crand.Read(b[:]) // never fails on supported systems
	seq := binary.LittleEndian.Uint64(b[:])&(1<<53-1) | 1<<52
	return &hostConn{in: in, out: out, fr: wire.NewFramer(in, wire.DefaultMaxFrame), seq: seq}
}

// Close closes the connection's streams.
func (c *hostConn) Close() error {
	err := c.out.Close()
	if any(c.in) != any(c.out) {
		if e := c.in.Close(); err == nil {
			err = e
		}
	}
	return err
}

// call says hello, then calls ns.name with args and returns the reply's
// results. A deadline on ctx travels as the call's timeout; when ctx ends
// first the host is told to cancel the call.
func (c *hostConn) call(ctx context.Context, ns, name string, args json.RawMessage) ([]json.RawMessage, error) {
	hello, _ := json.Marshal(wire.Hello{Protocol: wire.Protocol,
		Features: []string{wire.FeatureCancel, wire.FeatureTimeout, wire.FeatureCodes}, MaxFrame: wire.DefaultMaxFrame})
	resp, err := c.roundtrip(ctx, &wire.Request{Type: wire.TypeHello, Args: hello})
	if err != nil {
		return nil, err
	}
	if resp.Error == "" {
		var h wire.Hello
		if json.Unmarshal(resp.Reply, &h) == nil && h.Protocol >= 2 {
			c.peer = &h
		}
	}
	req := &wire.Request{Type: wire.TypeCall, Namespace: ns, Name: name, Args: args}
	if dl, ok := ctx.Deadline(); ok && c.peer.Has(wire.FeatureTimeout) {
		req.Timeout = max(int64(time.Until(dl)), 1)
	}
	resp, err = c.roundtrip(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Error != "" || resp.Code != "" {
		return nil, &remoteError{code: resp.Code, message: resp.Error}
	}
	var results []json.RawMessage
	if len(resp.Reply) > 0 && string(resp.Reply) != "null" {
		if err := json.Unmarshal(resp.Reply, &results); err != nil {
			return nil, fmt.Errorf("bad reply from the host: %s is not an array of results", resp.Reply)
		}
	}
	return results, nil
}

// roundtrip sends req with the next sequence and waits for its response.
func (c *hostConn) roundtrip(ctx context.Context, req *wire.Request) (*wire.Response, error) {
	c.seq++
	req.Sequence = c.seq
	if _, err := c.out.Write(wire.AppendRequest(nil, req)); err != nil {
		return nil, fmt.Errorf("writing to the host: %w", err)
	}
	type result struct {
		resp *wire.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.readResponse(req.Sequence)
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		if req.Type == wire.TypeCall && c.peer.Has(wire.FeatureCancel) {
			_, _ = c.out.Write(wire.AppendRequest(nil, &wire.Request{Sequence: req.Sequence, Type: wire.TypeCancel}))
		}
		code := wire.CodeCanceled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			code = wire.CodeDeadlineExceeded
		}
		return nil, &remoteError{code: code, message: "gave up waiting for the host: " + ctx.Err().Error()}
	}
}

// readResponse reads frames until the response to seq, dropping the others
// (late replies to earlier processes' calls).
func (c *hostConn) readResponse(seq uint64) (*wire.Response, error) {
	for {
		fr, err := c.fr.Next()
		if err == io.EOF {
			return nil, errors.New("the host closed the connection")
		}
		if err != nil {
			return nil, fmt.Errorf("reading from the host: %w", err)
		}
		var resp wire.Response
		var perr error
		switch {
		case fr.TooLarge:
			perr = fmt.Errorf("%w: response of %d bytes", wire.ErrTooLarge, fr.Size)
		case fr.Err != nil:
			perr = fr.Err
		default:
			perr = wire.ParseFrameResponse(fr, &resp)
		}
		if perr != nil {
			head := fr.Data
			if fr.TooLarge {
				head = fr.Head
			}
			rec := wire.Recover(head)
			if _, err := c.fr.ReadBlobs(rec.Blobs, false); err != nil {
				return nil, fmt.Errorf("reading from the host: %w", err)
			}
			if rec.HasSequence && rec.Sequence == seq {
				return nil, fmt.Errorf("bad reply from the host: %w", perr)
			}
			continue
		}
		if _, err := c.fr.ReadBlobs(resp.Blobs, false); err != nil {
			return nil, fmt.Errorf("reading from the host: %w", err)
		}
		if resp.Type == "" && resp.Sequence == seq {
			return &resp, nil
		}
		if resp.Type != "" {
			c.refuse(resp.Sequence, resp.Type)
		}
	}
}

// refuse answers a request of the host: this plugin serves none.
func (c *hostConn) refuse(seq uint64, typ string) {
	_, _ = c.out.Write(wire.AppendResponse(nil, &wire.Response{Sequence: seq, Code: wire.CodeBadRequest,
		Error: "this plugin serves no requests (got " + strconv.Quote(typ) + ")"}))
}
