package service

import (
	"context"
	"fmt"
	"reflect"

	jsoniter "github.com/json-iterator/go"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

var (
	errorType = reflect.TypeOf((*error)(nil)).Elem()
	bytesType = reflect.TypeOf([]byte(nil))
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
// GetService does not contact the host: an unknown service is reported by
// the first call, as an error matching ErrUnknownService. It returns an
// error, and leaves *fnPtr as it was, when fnPtr is not a non-nil pointer
// to a func, when the func does not return error last, or when a parameter
// or result type cannot cross the wire (channels, funcs, complex numbers);
// the error names the service and the offending type. The signature is
// checked by the same rules as a service's (registry.CheckConsumer).
func (c *Client) GetService(ns, name string, fnPtr any) error {
	return bindStub(func() *Client { return c }, ns, name, fnPtr)
}

// bindStub fills the func fnPtr points to with a stub calling service
// ns.name through the client that client returns at each call.
func bindStub(client func() *Client, ns, name string, fnPtr any) error {
	pv := reflect.ValueOf(fnPtr)
	if pv.Kind() != reflect.Pointer || pv.IsNil() || pv.Elem().Kind() != reflect.Func {
		return fmt.Errorf("service: GetService(%q, %q): want a non-nil pointer to a func, got %T", ns, name, fnPtr)
	}
	ft := pv.Elem().Type()
	hasCtx, err := registry.CheckConsumer(ft)
	if err != nil {
		return fmt.Errorf("service: GetService(%q, %q): %w", ns, name, err)
	}
	st := &stub{client: client, ns: ns, name: name, what: ns + "." + name, typ: ft, hasCtx: hasCtx}
	for i := 0; i < ft.NumOut()-1; i++ {
		st.outs = append(st.outs, ft.Out(i))
	}
	pv.Elem().Set(reflect.MakeFunc(ft, st.call))
	return nil
}

// stub is the state behind one consumer func.
type stub struct {
	client   func() *Client
	ns, name string
	what     string
	typ      reflect.Type
	hasCtx   bool
	outs     []reflect.Type // results before the error
}

// call is the body of the consumer func.
func (st *stub) call(in []reflect.Value) []reflect.Value {
	var ctx context.Context
	if st.hasCtx {
		ctx, _ = in[0].Interface().(context.Context)
		in = in[1:]
		if ctx == nil {
			ctx = context.Background()
		}
	}
	results, err := st.invoke(ctx, in)
	out := make([]reflect.Value, 0, len(st.outs)+1)
	for i, t := range st.outs {
		if err == nil {
			out = append(out, results[i])
		} else {
			out = append(out, reflect.Zero(t))
		}
	}
	if err != nil {
		return append(out, reflect.ValueOf(&err).Elem())
	}
	return append(out, reflect.Zero(errorType))
}

func (st *stub) invoke(ctx context.Context, in []reflect.Value) ([]reflect.Value, error) {
	c := st.client()
	args, blobs, err := st.encodeArgs(in, c.conn.BlobThreshold())
	if err != nil {
		return nil, err
	}
	req := &wire.Request{Type: wire.TypeCall, Namespace: st.ns, Name: st.name, Args: args}
	rep, err := c.call(ctx, st.what, st.ns, st.name, req, blobs)
	wire.PutBuf(args)
	if err != nil {
		return nil, err
	}
	return st.decodeResults(rep.Reply, rep.Blobs)
}

// encodeArgs writes the JSON array of the arguments, a variadic slice
// spread out one element per argument. Arguments of type exactly []byte
// holding at least minBlob bytes (minBlob >= 0) are written as blob
// indexes and returned as blobs.
func (st *stub) encodeArgs(in []reflect.Value, minBlob int) (_ []byte, blobs [][]byte, _ error) {
	stream := wire.JSON.BorrowStream(nil)
	stream.SetBuffer(wire.GetBuf())
	defer func() {
		stream.SetBuffer(nil)
		wire.JSON.ReturnStream(stream)
	}()
	stream.WriteArrayStart()
	n := 0
	write := func(i int, v reflect.Value) error {
		if n > 0 {
			stream.WriteMore()
		}
		n++
		if minBlob >= 0 && v.Type() == bytesType && v.Len() >= minBlob {
			stream.WriteInt(len(blobs))
			blobs = append(blobs, v.Bytes())
			return nil
		}
		stream.WriteVal(v.Interface())
		if stream.Error != nil {
			return fmt.Errorf("service %s: argument %d (%v): %w: %v", st.what, i, v.Type(), ErrBadArguments, stream.Error)
		}
		return nil
	}
	for i, v := range in {
		if st.typ.IsVariadic() && i == len(in)-1 {
			for j := 0; j < v.Len(); j++ {
				if err := write(i+j, v.Index(j)); err != nil {
					return nil, nil, err
				}
			}
			continue
		}
		if err := write(i, v); err != nil {
			return nil, nil, err
		}
	}
	stream.WriteArrayEnd()
	return stream.Buffer(), blobs, nil
}

// decodeResults decodes the reply array into the func's result types.
func (st *stub) decodeResults(reply []byte, blobs [][]byte) ([]reflect.Value, error) {
	out := make([]reflect.Value, 0, len(st.outs))
	iter := wire.JSON.BorrowIterator(reply)
	defer wire.JSON.ReturnIterator(iter)
	n := 0
	if len(reply) > 0 && iter.WhatIsNext() == jsoniter.ArrayValue {
		for iter.ReadArray() {
			if n >= len(st.outs) {
				iter.Skip()
				n++
				continue
			}
			v, err := st.decodeResult(iter, reply, n, blobs)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			n++
		}
	} else if len(reply) > 0 && iter.WhatIsNext() != jsoniter.NilValue {
		return nil, fmt.Errorf("service %s: %w: reply is not a JSON array", st.what, ErrBadReply)
	}
	if iter.Error != nil {
		return nil, fmt.Errorf("service %s: %w: %s", st.what, ErrBadReply, wire.DecodeError(iter.Error))
	}
	if n != len(st.outs) {
		return nil, fmt.Errorf("service %s: %w: the host returned %d results, %v expects %d",
			st.what, ErrBadReply, n, st.typ, len(st.outs))
	}
	return out, nil
}

// decodeResult decodes result i, at iter in reply. A value that does not
// fit the result's type is reported as wanted and found (the reply is
// decoded again for that, on the error path only), in clean text whatever
// the host sent.
func (st *stub) decodeResult(iter *jsoniter.Iterator, reply []byte, i int, blobs [][]byte) (reflect.Value, error) {
	t := st.outs[i]
	v := reflect.New(t)
	if t == bytesType && iter.WhatIsNext() == jsoniter.NumberValue {
		k := iter.ReadInt()
		if iter.Error != nil || k < 0 || k >= len(blobs) {
			return v, fmt.Errorf("service %s: %w: result %d names blob %d of %d", st.what, ErrBadReply, i, k, len(blobs))
		}
		v.Elem().SetBytes(blobs[k])
		return v.Elem(), nil
	}
	iter.ReadVal(v.Interface())
	if iter.Error != nil {
		return v, fmt.Errorf("service %s: %w: result %d (%v): %s", st.what, ErrBadReply, i, t,
			wire.DecodeElemError(t, reply, i, iter.Error))
	}
	return v.Elem(), nil
}
