package service

import (
	"context"
	"fmt"
	"reflect"

	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/internal/stub"
	"github.com/hostcall/hostcall/internal/wire"
)

// GetService fills *fnPtr with a func that calls service name of namespace
// ns in the host. The func has the service's parameters, optionally a
// leading context.Context, and the service's results followed by an error:
// the host's func(A, B) C is consumed as func(A, B) (C, error) or
// func(context.Context, A, B) (C, error).
//
//	var add func(a, b int) (int, error)
//	client.GetService("calc", "add", &add)
//	sum, err := add(1, 2)
//
// A leading context cancels the call: the func returns at once with an
// error wrapping the context's error, and the host's service sees its own
// context canceled (protocol 2 hosts). A deadline travels to the host as the
// call's timeout.
//
// A func parameter lends the service a func for the duration of the call
// (a callback, see package registry): the service's calls of it run the
// func here, concurrently with the caller, each with a context that ends
// when the service's call of it is canceled. The peer must take callbacks
// (a protocol 2 peer of this version); a call to one that does not fails
// before it is sent. A nil func arrives as nil.
//
//	var index func(ctx context.Context, paths []string, progress func(done int) error) error
//	client.GetService("index", "run", &index)
//	err := index(ctx, paths, func(done int) error {
//		fmt.Printf("%d of %d\n", done, len(paths))
//		return nil
//	})
//
// A service that returns a stream (package registry) is consumed with the
// same stream type as the result: iter.Seq[T], iter.Seq2[T, error] (which
// yields the error that ended the stream, if any), <-chan T (closed at the
// end) or io.Reader / io.ReadCloser. The func returns once the stream has
// begun; items arrive as the service produces them, at most a window ahead
// of the reader. Breaking out of the range loop, closing the reader or
// canceling the context stops the service. A stream is read once; range
// over it or cancel the context, or it holds the service until the
// connection ends. A parameter may be a stream too, produced here while the
// service reads it.
//
//	var watch func(ctx context.Context, topic string) (iter.Seq2[Event, error], error)
//	client.GetService("events", "watch", &watch)
//	events, err := watch(ctx, "builds")
//	for ev, err := range events { ... }
//
// GetService does not contact the host: an unknown service is reported by
// the first call, as an error matching ErrUnknownService. It returns an
// error, and leaves *fnPtr as it was, when fnPtr is not a non-nil pointer
// to a func, when the func does not return error last, or when a parameter
// or result type cannot cross the wire (channels, funcs but callbacks,
// complex numbers);
// the error names the service and the offending type. The signature is
// checked by the same rules as a service's (registry.CheckConsumer).
func (c *Client) GetService(ns, name string, fnPtr any) error {
	return bindStub(func() *Client { return c }, ns, name, fnPtr)
}

// GetServiceVia fills *fnPtr like Client.GetService, with a func that
// calls through the client that client returns at each call: for a
// connection that is replaced while the func is in use, as a restarted
// plugin's is (host.Running.GetService uses it).
func GetServiceVia(client func() *Client, ns, name string, fnPtr any) error {
	return bindStub(client, ns, name, fnPtr)
}

// bindStub fills the func fnPtr points to with a stub calling service
// ns.name through the client that client returns at each call.
func bindStub(client func() *Client, ns, name string, fnPtr any) error {
	pv := reflect.ValueOf(fnPtr)
	if pv.Kind() != reflect.Pointer || pv.IsNil() || pv.Elem().Kind() != reflect.Func {
		return fmt.Errorf("service: GetService(%q, %q): want a non-nil pointer to a func, got %T", ns, name, fnPtr)
	}
	sig, err := stub.New("service "+ns+"."+name, "host", pv.Elem().Type())
	if err != nil {
		return fmt.Errorf("service: GetService(%q, %q): %w", ns, name, err)
	}
	st := &consumer{client: client, ns: ns, name: name, what: ns + "." + name, sig: sig}
	pv.Elem().Set(sig.Func(st.invoke))
	return nil
}

// consumer is the state behind one consumer func.
type consumer struct {
	client   func() *Client
	ns, name string
	what     string
	sig      *stub.Sig
}

func (st *consumer) invoke(ctx context.Context, in []reflect.Value) ([]reflect.Value, error) {
	c := st.client()
	var lent callbacks
	defer lent.remove()
	args, blobs, err := st.sig.EncodeArgs(in, c.conn.BlobThreshold(), lent.lender(ctx, c, st.what))
	if err != nil {
		return nil, err
	}
	req := &wire.Request{Type: wire.TypeCall, Namespace: st.ns, Name: st.name, Args: args}
	var rep engine.Reply
	err = c.callInto(ctx, st.what, st.ns, st.name, req, blobs, &rep)
	wire.PutBuf(args)
	if err != nil {
		return nil, err
	}
	var items stub.Items
	if rep.Stream != nil {
		items = rep.Stream
	}
	return st.sig.DecodeReply(ctx, rep.Reply, rep.Blobs, items)
}

// callbacks are the funcs one call lends the peer, until it returns.
type callbacks struct {
	removes []func()
}

// lender returns the stub.FuncArg that lends a func argument of the call
// what to the peer.
func (cb *callbacks) lender(ctx context.Context, c *Client, what string) stub.FuncArg {
	return func(i int, v reflect.Value) (uint64, error) {
		if cb.removes == nil {
			if err := c.conn.AcceptsCallbacks(ctx); err != nil {
				return 0, fmt.Errorf("service %s: argument %d (%v) is a callback: %w", what, i, v.Type(), err)
			}
		}
		id, remove, err := c.conn.AddCallback(v, what, fmt.Sprintf("callback (argument %d)", i))
		if err != nil {
			return 0, fmt.Errorf("service %s: argument %d (%v): %w", what, i, v.Type(), err)
		}
		cb.removes = append(cb.removes, remove)
		return id, nil
	}
}

func (cb *callbacks) remove() {
	for _, r := range cb.removes {
		r()
	}
}
