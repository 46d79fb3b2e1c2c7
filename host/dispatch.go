package host

import (
	"fmt"

	"github.com/hostcall/hostcall/internal/wire"
)

// features lists the protocol 2 features this host supports.
var features = []string{wire.FeatureCancel, wire.FeatureTimeout, wire.FeatureCodes, wire.FeatureBlobs}

// dispatch answers one request. Calls run concurrently (see startCall);
// the other requests are answered here, in the order they were read. It
// reports whether another goroutine has taken over reading.
func (c *conn) dispatch(req *wire.Request, blobs [][]byte) (handedOff bool) {
	if req.Type != wire.TypeCall && req.Type != wire.TypeCancel && c.inFlight(req.Sequence) {
		c.replyError(req.Sequence, wire.CodeBadRequest,
			fmt.Sprintf("sequence %d is already in flight: sequences must not be reused", req.Sequence))
		return false
	}
	switch req.Type {
	case wire.TypeCall:
		return c.startCall(req, blobs)
	case wire.TypeCancel:
		c.cancelCall(req.Sequence)
	case wire.TypeHasNamespace:
		c.send(&wire.Response{Sequence: req.Sequence, OK: c.reg.HasNamespace(req.Namespace)})
	case wire.TypeGetManifest:
		m, ok := c.reg.Manifest(req.Namespace)
		if !ok {
			c.replyUnknownNamespace(req)
			break
		}
		c.send(&wire.Response{Sequence: req.Sequence, Reply: m})
	case wire.TypeListServices:
		names, ok := c.reg.ServiceNames(req.Namespace)
		if !ok {
			c.replyUnknownNamespace(req)
			break
		}
		c.send(&wire.Response{Sequence: req.Sequence, Services: names})
	case wire.TypeHello:
		c.hello(req)
	case "":
		c.replyError(req.Sequence, wire.CodeBadRequest, fmt.Sprintf("frame %d has no type: not a request", req.Sequence))
	default:
		c.replyError(req.Sequence, wire.CodeBadRequest, fmt.Sprintf("unknown request type %q", req.Type))
	}
	return false
}

func (c *conn) replyUnknownNamespace(req *wire.Request) {
	c.replyError(req.Sequence, wire.CodeUnknownNamespace, fmt.Sprintf("undefined namespace %q", req.Namespace))
}

// hello records the plugin's protocol and answers with the host's.
func (c *conn) hello(req *wire.Request) {
	var h wire.Hello
	if req.Args != nil {
		if err := wire.JSON.Unmarshal(req.Args, &h); err != nil {
			c.replyError(req.Sequence, wire.CodeBadRequest, "hello: "+err.Error())
			return
		}
	}
	c.mu.Lock()
	c.peer = &h
	c.mu.Unlock()
	reply, _ := wire.JSON.Marshal(wire.Hello{Protocol: wire.Protocol, Features: features, MaxFrame: int64(c.cfg.maxFrame)})
	c.send(&wire.Response{Sequence: req.Sequence, Reply: reply})
}

// peerHello returns the plugin's hello, nil before it says one.
func (c *conn) peerHello() *wire.Hello {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peer
}

// maxFrameFor returns the smaller of the two ends' frame limits.
func (c *conn) maxFrameFor(peer *wire.Hello) int {
	if peer != nil && peer.MaxFrame > 0 && peer.MaxFrame < int64(c.cfg.maxFrame) {
		return int(peer.MaxFrame)
	}
	return c.cfg.maxFrame
}

// inFlight reports whether a call with sequence seq is running or queued.
func (c *conn) inFlight(seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.inflight[seq]
	return ok
}
