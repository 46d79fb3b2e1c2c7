package engine

import (
	"context"
	"fmt"

	"github.com/hostcall/hostcall/internal/wire"
)

// answerHealth answers a call of the health namespace on the reader, as
// soon as it is read: ahead of the calls queued for a slot, and whatever
// the registry holds. A ping proves that this end reads, dispatches and
// writes; a leave notice is handed to Config.OnLeave.
func (c *Conn) answerHealth(req *wire.Request) {
	what := wire.HealthNamespace + "." + req.Name
	switch req.Name {
	case wire.HealthPing:
		c.reply(&wire.Response{Sequence: req.Sequence, Reply: []byte("[]")})
	case wire.HealthLeave:
		if c.cfg.OnLeave == nil {
			c.replyError(req.Sequence, wire.CodeUnknownService,
				fmt.Sprintf("%s: this end takes no leave notices (only a host does)", what))
			return
		}
		reason, err := leaveReason(req.Args)
		if err != nil {
			c.replyError(req.Sequence, wire.CodeBadArguments, fmt.Sprintf("%s: %v", what, err))
			return
		}
		after := c.cfg.OnLeave(reason) // recorded before the peer reads the answer
		c.reply(&wire.Response{Sequence: req.Sequence, Reply: []byte("[]")})
		if after != nil {
			go after()
		}
	default:
		c.replyError(req.Sequence, wire.CodeUnknownService,
			fmt.Sprintf("%s: %v %q (the health namespace has ping and leave)", wire.Printable(what, true), wire.ErrUnknownService, req.Name))
	}
}

// leaveReason decodes the arguments of a leave notice: none, or one
// string.
func leaveReason(args []byte) (string, error) {
	var a []string
	if len(args) == 0 {
		return "", nil
	}
	if err := wire.JSON.Unmarshal(args, &a); err != nil || len(a) > 1 {
		return "", fmt.Errorf("want no argument or one string, got %s", wire.Printable(string(args), true))
	}
	if len(a) == 0 {
		return "", nil
	}
	return a[0], nil
}

// Ping calls the peer's health ping and waits for its answer or for ctx
// to end. The peer answers as it reads the ping, whatever it is running:
// a nil error says it reads, dispatches and writes.
func (c *Conn) Ping(ctx context.Context) error {
	return c.health(ctx, wire.HealthPing, []byte("[]"))
}

// Leave tells the peer, a host, that this end asks to be stopped.
func (c *Conn) Leave(ctx context.Context, reason string) error {
	args, err := wire.JSON.Marshal([]string{reason})
	if err != nil {
		return err
	}
	return c.health(ctx, wire.HealthLeave, args)
}

func (c *Conn) health(ctx context.Context, name string, args []byte) error {
	what := wire.HealthNamespace + "." + name
	rep, err := c.Call(ctx, what, &wire.Request{Type: wire.TypeCall, Namespace: wire.HealthNamespace, Name: name, Args: args}, nil)
	if err != nil {
		return err
	}
	if rep.Error != "" {
		return &wire.Error{Code: rep.Code, Namespace: wire.HealthNamespace, Name: name, Message: rep.Error, Detail: rep.Detail}
	}
	return nil
}
