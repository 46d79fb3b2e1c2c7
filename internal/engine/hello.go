package engine

import (
	"github.com/hostcall/hostcall/internal/wire"
)

// ourHello is what this end says in hello and answers to one: "serve"
// joins the features once it serves a registry.
func (c *Conn) ourHello() []byte {
	features := wire.Features
	if c.registry() != nil {
		features = append(features[:len(features):len(features)], wire.FeatureServe)
	}
	b, _ := wire.JSON.Marshal(wire.Hello{Protocol: wire.Protocol, Features: features, MaxFrame: int64(c.cfg.MaxFrame)})
	return b
}

// sayHello sends hello without waiting; the reader records the answer. A
// protocol 1 peer answers with an error, and the connection stays in
// protocol 1 mode: no cancel frames, no timeouts, no blobs. It may say it
// again later (when it starts serving); the latest answer counts.
func (c *Conn) sayHello() {
	first := false
	select {
	case <-c.helloDone:
	default:
		first = true
	}
	p := &pendingCall{onDone: func(p *pendingCall) {
		if p.err == nil && p.resp.Error == "" {
			var h wire.Hello
			if wire.JSON.Unmarshal(p.resp.Reply, &h) == nil && h.Protocol >= 2 {
				c.setPeer(&h)
			}
		}
		c.helloOnce.Do(func() { close(c.helloDone) })
	}}
	if _, err := c.start(nil, &wire.Request{Type: wire.TypeHello, Args: c.ourHello()}, nil, p); err != nil {
		c.helloOnce.Do(func() { close(c.helloDone) })
		return
	}
	if first && c.token != nil {
		c.readers.Add(1)
		go c.readHello()
	}
}

// answerHello records the peer's hello and answers with ours.
func (c *Conn) answerHello(req *wire.Request) {
	var h wire.Hello
	if req.Args != nil {
		if err := wire.JSON.Unmarshal(req.Args, &h); err != nil {
			c.replyError(req.Sequence, wire.CodeBadRequest, "hello: "+wire.DecodeError(err))
			return
		}
	}
	c.setPeer(&h)
	c.reply(&wire.Response{Sequence: req.Sequence, Reply: c.ourHello()})
}
