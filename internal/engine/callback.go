package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/hostcall/hostcall/internal/stub"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// Callbacks (PROTOCOL.md section 6). The calling end lends a func for the
// duration of a call: AddCallback gives it an id, which travels in the
// call's arguments, and the end answers the peer's callback requests for
// that id by running the func like a served call (dispatchCallback). The
// serving end's registry asks the connection (Callback, through the
// served call's context) for a func that sends those requests.

// callbackTable holds the funcs this end lent, by id.
type callbackTable struct {
	next  atomic.Uint64
	funcs map[uint64]*registry.Service // guarded by Conn.mu
}

// AcceptsCallbacks returns nil when the peer takes func arguments: its
// hello listed the feature. It waits for the answer to this end's hello
// when there is one to wait for (ctx may end the wait).
func (c *Conn) AcceptsCallbacks(ctx context.Context) error {
	if c.PeerHas(wire.FeatureCallbacks) {
		return nil
	}
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Done()
	}
	select {
	case <-c.helloDone:
	case <-c.dead:
		return c.Err()
	case <-cancel:
		return ctx.Err()
	}
	if c.PeerHas(wire.FeatureCallbacks) {
		return nil
	}
	return errors.New("the peer does not take callbacks (its hello did not list the feature \"callbacks\")")
}

// AddCallback lends fn to the peer until remove: the peer's callback
// requests for the id run it, as service name of namespace ns for
// messages. fn's type has passed registry.CheckConsumer as a parameter.
func (c *Conn) AddCallback(fn reflect.Value, ns, name string) (id uint64, remove func(), err error) {
	svc, err := callbackService(fn, ns, name)
	if err != nil {
		return 0, nil, err
	}
	id = c.callbacks.next.Add(1)
	c.mu.Lock()
	if c.callbacks.funcs == nil {
		c.callbacks.funcs = make(map[uint64]*registry.Service)
	}
	c.callbacks.funcs[id] = svc
	c.mu.Unlock()
	return id, func() {
		c.mu.Lock()
		delete(c.callbacks.funcs, id)
		c.mu.Unlock()
	}, nil
}

// callbackService compiles fn as a service, with the registry's invoker.
func callbackService(fn reflect.Value, ns, name string) (svc *registry.Service, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s.%s: %v", ns, name, v)
		}
	}()
	reg := registry.New()
	reg.AddService(ns, name, fn.Interface())
	return reg.Lookup(ns, name)
}

// dispatchCallback runs the func a callback request names, like a served
// call; one that is no longer lent (its call has ended) is answered
// canceled.
func (c *Conn) dispatchCallback(req *wire.Request, blobs [][]byte) {
	c.mu.Lock()
	svc := c.callbacks.funcs[req.Callback]
	c.mu.Unlock()
	if svc == nil {
		c.replyError(req.Sequence, wire.CodeCanceled,
			fmt.Sprintf("callback %d: its call has ended", req.Callback))
		return
	}
	c.admit(req, blobs, svc)
}

// callbackMaker is the connection's wire.Callbacks, in the context of the
// calls it serves.
type callbackMaker struct{ c *Conn }

// Callback returns a func that sends callback requests for id, until end.
func (m *callbackMaker) Callback(ctx context.Context, id uint64, ft reflect.Type, what string) (reflect.Value, func()) {
	c := m.c
	var ended atomic.Bool
	sig, err := stub.New(what, "caller", ft)
	if err != nil { // the registry checked ft: never
		panic(fmt.Sprintf("engine: callback %s: %v", what, err))
	}
	fn := sig.Func(func(cctx context.Context, in []reflect.Value) ([]reflect.Value, error) {
		if ended.Load() {
			return nil, &callbackEndedError{what: what}
		}
		if cctx == nil {
			cctx = ctx // a callback without a context of its own: the served call's
		}
		args, blobs, err := sig.EncodeArgs(in, c.BlobThreshold(), nil)
		if err != nil {
			return nil, err
		}
		var rep Reply
		err = c.CallReply(cctx, what, &wire.Request{Type: wire.TypeCallback, Callback: id, Args: args}, blobs, &rep)
		wire.PutBuf(args)
		if err != nil {
			return nil, err
		}
		if rep.Error != "" {
			return nil, &wire.Error{Code: rep.Code, Namespace: what, Message: rep.Error, Detail: rep.Detail}
		}
		var items stub.Items
		if rep.Stream != nil {
			items = rep.Stream
		}
		return sig.DecodeReply(cctx, rep.Reply, rep.Blobs, items)
	})
	return fn, func() { ended.Store(true) }
}

// callbackEndedError reports a callback called after the call that
// received it returned. It matches ErrClosed: what it called is gone.
type callbackEndedError struct{ what string }

func (e *callbackEndedError) Error() string {
	return e.what + ": called after its call returned"
}

func (e *callbackEndedError) Is(target error) bool { return target == ErrClosed }
