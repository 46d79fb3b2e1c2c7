// Package stub makes the funcs that call a peer: a consumer's (package
// service's GetService, host.Running's) and a callback's (a func a served
// call received as an argument, which calls back into the caller). A Sig
// is a func type compiled once: how to encode its arguments and decode its
// results; what carries the call is up to its user.
package stub

import (
	"context"
	"fmt"
	"reflect"

	jsoniter "github.com/json-iterator/go"

	"github.com/hostcall/hostcall/internal/jsonfast"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

var (
	errorType = reflect.TypeOf((*error)(nil)).Elem()
	bytesType = reflect.TypeOf([]byte(nil))
)

// Sig is the signature of a func that calls the peer: an optional leading
// context, parameters that encode to JSON (funcs among them are callbacks),
// results that decode from it, and a trailing error.
type Sig struct {
	what   string // "service kv.get", "callback 2 of kv.index": names the call in errors
	peer   string // "host", "plugin", "caller": who answers, in errors
	typ    reflect.Type
	hasCtx bool
	outs   []reflect.Type  // results before the error
	funcs  bool            // a parameter is a func: a callback
	stream wire.StreamKind // the result is a stream (stream.go)
	// streamArgs: per parameter after the context, whether it is a stream,
	// which is lent as a callback that opens it
	streamArgs []bool
	item       reflect.Type // ... of items of this type
	// fast: per result, its decoder straight from the reply's bytes; nil
	// unless every result has one
	fast []*jsonfast.Decoder
	// encs: per parameter after the context (the variadic one as its
	// element), its encoder, nil for the codec's
	encs []*jsonfast.Encoder
}

// argEncoders write arguments as wire.JSON does (package jsonfast).
var argEncoders = jsonfast.NewEncoders(wire.JSON)

// encoderAt returns the encoder of argument i, nil for the codec.
func (s *Sig) encoderAt(i int) *jsonfast.Encoder {
	if i >= len(s.encs) {
		if !s.typ.IsVariadic() || len(s.encs) == 0 {
			return nil
		}
		i = len(s.encs) - 1
	}
	return s.encs[i]
}

// New checks ft with registry.CheckConsumer and compiles it. what names the
// call in errors, peer who answers it.
func New(what, peer string, ft reflect.Type) (*Sig, error) {
	hasCtx, err := registry.CheckConsumer(ft)
	if err != nil {
		return nil, err
	}
	s := &Sig{what: what, peer: peer, typ: ft, hasCtx: hasCtx}
	for i := 0; i < ft.NumOut()-1; i++ {
		s.outs = append(s.outs, ft.Out(i))
	}
	for i := 0; i < ft.NumIn(); i++ {
		if hasCtx && i == 0 {
			continue
		}
		pt := ft.In(i)
		if ft.IsVariadic() && i == ft.NumIn()-1 {
			pt = pt.Elem()
		}
		s.encs = append(s.encs, argEncoders.For(pt))
		kind, _ := wire.StreamOf(ft.In(i))
		s.streamArgs = append(s.streamArgs, kind != wire.NoStream)
		if kind != wire.NoStream || ft.In(i).Kind() == reflect.Func {
			s.funcs = true
		}
	}
	if len(s.outs) == 1 {
		s.stream, s.item = wire.StreamOf(s.outs[0])
	}
	for _, t := range s.outs {
		d := jsonfast.For(t)
		if d == nil || s.stream != wire.NoStream {
			s.fast = nil
			break
		}
		s.fast = append(s.fast, d)
	}
	return s, nil
}

// What names the call in errors.
func (s *Sig) What() string { return s.what }

// TakesFuncs reports whether a parameter is a func (a callback).
func (s *Sig) TakesFuncs() bool { return s.funcs }

// Invoke is the body of a func made by Func: it gets the context (the
// func's own, or nil when it takes none) and the arguments after it, and
// returns the results before the error.
type Invoke func(ctx context.Context, in []reflect.Value) ([]reflect.Value, error)

// Func returns a func of the signature's type whose calls run inv.
func (s *Sig) Func(inv Invoke) reflect.Value {
	return reflect.MakeFunc(s.typ, func(in []reflect.Value) []reflect.Value {
		var ctx context.Context
		if s.hasCtx {
			ctx, _ = in[0].Interface().(context.Context)
			in = in[1:]
			if ctx == nil {
				ctx = context.Background()
			}
		}
		results, err := inv(ctx, in)
		if err == nil && len(results) == len(s.outs) {
			// DecodeResults left room for the error.
			return append(results, reflect.Zero(errorType))
		}
		out := make([]reflect.Value, 0, len(s.outs)+1)
		for i, t := range s.outs {
			if err == nil {
				out = append(out, results[i])
			} else {
				out = append(out, reflect.Zero(t))
			}
		}
		if err != nil {
			e := err // only here: err itself stays off the heap
			return append(out, reflect.ValueOf(&e).Elem())
		}
		return append(out, reflect.Zero(errorType))
	})
}

// FuncArg turns the func argument v, at index i of the call's arguments,
// into the callback id it travels as; nil funcs never reach it.
type FuncArg func(i int, v reflect.Value) (uint64, error)

// EncodeArgs writes the JSON array of the arguments, a variadic slice
// spread out one element per argument. Arguments of type exactly []byte
// holding at least minBlob bytes (minBlob >= 0) are written as blob
// indexes and returned as blobs. A func argument is written as
// {"callback":id}, id from fn, or null when it is nil.
func (s *Sig) EncodeArgs(in []reflect.Value, minBlob int, fn FuncArg) (_ []byte, blobs [][]byte, _ error) {
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
		switch {
		case minBlob >= 0 && v.Type() == bytesType && v.Len() >= minBlob:
			stream.WriteInt(len(blobs))
			blobs = append(blobs, v.Bytes())
			return nil
		case i < len(s.streamArgs) && s.streamArgs[i]:
			if v.IsNil() {
				stream.WriteNil()
				return nil
			}
			return s.writeFunc(stream, i, registry.Opener(v), fn)
		case v.Kind() == reflect.Func:
			return s.writeFunc(stream, i, v, fn)
		}
		if enc := s.encoderAt(i); enc != nil {
			start := len(stream.Buffer())
			buf, ok := enc.AppendValue(stream.Buffer(), v)
			if ok {
				stream.SetBuffer(buf)
				return nil
			}
			stream.SetBuffer(buf[:start])
		}
		stream.WriteVal(v.Interface())
		if stream.Error != nil {
			return fmt.Errorf("%s: argument %d (%v): %w: %v", s.what, i, v.Type(), wire.ErrBadArguments, stream.Error)
		}
		return nil
	}
	for i, v := range in {
		if s.typ.IsVariadic() && i == len(in)-1 {
			for j := 0; j < v.Len(); j++ {
				if err := write(i+j, v.Index(j)); err != nil {
					wire.PutBuf(stream.Buffer())
					return nil, nil, err
				}
			}
			continue
		}
		if err := write(i, v); err != nil {
			wire.PutBuf(stream.Buffer())
			return nil, nil, err
		}
	}
	stream.WriteArrayEnd()
	return stream.Buffer(), blobs, nil
}

func (s *Sig) writeFunc(stream *jsoniter.Stream, i int, v reflect.Value, fn FuncArg) error {
	if v.IsNil() {
		stream.WriteNil()
		return nil
	}
	if fn == nil {
		return fmt.Errorf("%s: argument %d (%v): %w: a callback cannot take a func", s.what, i, v.Type(), wire.ErrBadArguments)
	}
	id, err := fn(i, v)
	if err != nil {
		return err
	}
	stream.WriteRaw(`{"callback":`)
	stream.WriteUint64(id)
	stream.WriteObjectEnd()
	return nil
}

// DecodeResults decodes the reply array into the func's result types.
func (s *Sig) DecodeResults(reply []byte, blobs [][]byte) ([]reflect.Value, error) {
	out := make([]reflect.Value, 0, len(s.outs)+1) // room for Func's error
	if s.fast != nil {
		if out, ok := s.decodeFast(reply, out); ok {
			return out, nil
		}
	}
	iter := wire.JSON.BorrowIterator(reply)
	defer wire.JSON.ReturnIterator(iter)
	n := 0
	if len(reply) > 0 && iter.WhatIsNext() == jsoniter.ArrayValue {
		for iter.ReadArray() {
			if n >= len(s.outs) {
				iter.Skip()
				n++
				continue
			}
			v, err := s.decodeResult(iter, reply, n, blobs)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			n++
		}
	} else if len(reply) > 0 && iter.WhatIsNext() != jsoniter.NilValue {
		return nil, fmt.Errorf("%s: %w: reply is not a JSON array", s.what, wire.ErrBadReply)
	}
	if iter.Error != nil {
		return nil, fmt.Errorf("%s: %w: %s", s.what, wire.ErrBadReply, wire.DecodeError(iter.Error))
	}
	if n != len(s.outs) {
		return nil, fmt.Errorf("%s: %w: the %s returned %d results, %v expects %d",
			s.what, wire.ErrBadReply, s.peer, n, s.typ, len(s.outs))
	}
	return out, nil
}

// decodeFast decodes the reply array with the results' jsonfast decoders,
// appending the results to out. It reports false when a decoder declined
// or the reply is not an array of as many results; the codec then decodes
// the reply again, with its errors.
func (s *Sig) decodeFast(reply []byte, out []reflect.Value) ([]reflect.Value, bool) {
	i, ok := jsonfast.ArrayStart(reply)
	for n, d := range s.fast {
		if !ok {
			return nil, false
		}
		if s.outs[n] == bytesType && jsonfast.NumberAt(reply, i) {
			return nil, false // a blob's index
		}
		v := reflect.New(s.outs[n])
		if i = d.Decode(reply, i, v.UnsafePointer()); i < 0 {
			return nil, false
		}
		out = append(out, v.Elem())
		i, ok = jsonfast.ArrayNext(reply, i, n+1 < len(s.fast))
	}
	return out, ok
}

// decodeResult decodes result i, at iter in reply. A value that does not
// fit the result's type is reported as wanted and found (the reply is
// decoded again for that, on the error path only), in clean text whatever
// the peer sent.
func (s *Sig) decodeResult(iter *jsoniter.Iterator, reply []byte, i int, blobs [][]byte) (reflect.Value, error) {
	return s.decodeValue(iter, reply, false, i, s.outs[i], blobs, "result")
}

// decodeValue decodes value number i, at iter, into type t; what names it
// in errors. raw, for the errors' account of what came, is the value's own
// JSON when alone is set, else the reply array whose element i it is.
func (s *Sig) decodeValue(iter *jsoniter.Iterator, raw []byte, alone bool, i int, t reflect.Type, blobs [][]byte, what string) (reflect.Value, error) {
	v := reflect.New(t)
	if t == bytesType && iter.WhatIsNext() == jsoniter.NumberValue {
		k := iter.ReadInt()
		if iter.Error != nil || k < 0 || k >= len(blobs) {
			return v, fmt.Errorf("%s: %w: %s %d names blob %d of %d", s.what, wire.ErrBadReply, what, i, k, len(blobs))
		}
		v.Elem().SetBytes(blobs[k])
		return v.Elem(), nil
	}
	iter.ReadVal(v.Interface())
	if iter.Error != nil {
		var came string
		if alone {
			came = wire.DecodeValueError(t, raw, iter.Error)
		} else {
			came = wire.DecodeElemError(t, raw, i, iter.Error)
		}
		return v, fmt.Errorf("%s: %w: %s %d (%v): %s", s.what, wire.ErrBadReply, what, i, t, came)
	}
	return v.Elem(), nil
}
