package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime/debug"
	"strconv"
	"sync"

	jsoniter "github.com/json-iterator/go"
	"github.com/modern-go/reflect2"

	"github.com/hostcall/hostcall/internal/jsonfast"
	"github.com/hostcall/hostcall/internal/wire"
)

var bytesType = reflect.TypeOf([]byte(nil))

// Service is one registered func, with everything needed to call it from
// JSON prepared when it was added.
type Service struct {
	ns, name  string
	full      string // "ns.name", for messages
	fn        reflect.Value
	typ       reflect.Type
	hasCtx    bool
	hasErr    bool
	variadic  bool
	sliceArg  bool      // the variadic slice may arrive as one JSON array (variadic.go)
	nilSlice  bool      // ... and as null, for none
	params    []param   // parameters after the context, the variadic one as its element
	results   int       // results before the error
	validate  []bool    // per result: its encoding may hold unchecked raw JSON
	rawBytes  []bool    // per result: exactly []byte, so it may travel as a blob
	callbacks bool      // a parameter is a func (callback.go)
	frames    sync.Pool // *argFrame, see getFrame
	// fast: per parameter, its decoder straight from the args' bytes; nil
	// unless every parameter has one (none variadic or a func)
	fast []*jsonfast.Decoder
	encs []*jsonfast.Encoder // per result, its encoder, nil for the codec's

	stream       streamKind // the service returns a stream (stream.go)
	itemRaw      []bool     // its items are exactly []byte
	itemValidate []bool     // its items may hold unchecked raw JSON
	itemEncs     []*jsonfast.Encoder
}

type param struct {
	typ   reflect.Type
	dec   jsoniter.ValDecoder
	bytes bool // exactly []byte: may arrive as a blob index
	fn    bool // a func: a callback (callback.go)
	// stream: a stream the caller produces, which arrives as a callback
	// that opens it (stream.go)
	stream streamKind
}

func newService(ns, name string, fn any) (*Service, error) {
	if fn == nil {
		return nil, fmt.Errorf("service is nil")
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	hasCtx, hasErr, err := checkSignature(t)
	if err != nil {
		return nil, err
	}
	if v.IsNil() {
		return nil, fmt.Errorf("service is a nil %v", t)
	}
	s := &Service{
		ns: ns, name: name, full: ns + "." + name,
		fn: v, typ: t, hasCtx: hasCtx, hasErr: hasErr, variadic: t.IsVariadic(),
		results: t.NumOut(),
	}
	if hasErr {
		s.results--
	}
	for i := 0; i < s.results; i++ {
		s.validate = append(s.validate, writesRawJSON(t.Out(i)))
		s.rawBytes = append(s.rawBytes, t.Out(i) == bytesType)
		s.encs = append(s.encs, resultEncoders.For(t.Out(i)))
	}
	first := 0
	if hasCtx {
		first = 1
	}
	for i := first; i < t.NumIn(); i++ {
		pt := t.In(i)
		if s.variadic && i == t.NumIn()-1 {
			pt = pt.Elem()
		}
		if kind, _ := streamOf(pt); kind != noStream {
			s.params = append(s.params, param{typ: pt, fn: true, stream: kind})
			s.callbacks = true
			continue
		}
		if pt.Kind() == reflect.Func {
			s.params = append(s.params, param{typ: pt, fn: true})
			s.callbacks = true
			continue
		}
		s.params = append(s.params, param{
			typ:   pt,
			dec:   wire.JSON.DecoderOf(reflect2.Type2(reflect.PointerTo(pt))),
			bytes: pt == bytesType,
		})
	}
	s.prepareVariadic()
	s.prepareStream()
	if !s.variadic && !s.callbacks {
		for _, p := range s.params {
			d := jsonfast.For(p.typ)
			if d == nil {
				s.fast = nil
				break
			}
			s.fast = append(s.fast, d)
		}
	}
	return s, nil
}

// Namespace returns the service's namespace.
func (s *Service) Namespace() string { return s.ns }

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

// UsesContext reports whether a call of the service sees the context it
// is invoked with: the func takes a context.Context, takes callbacks
// (which call the peer with it) or returns a stream (which ends with it).
// A server may spare a call of any other service a context of its own.
func (s *Service) UsesContext() bool {
	return s.hasCtx || s.callbacks || s.stream != noStream
}

// Type returns the service func's type.
func (s *Service) Type() reflect.Type { return s.typ }

// Invoke calls the service with args, the JSON array of its arguments (nil
// or null for none), and appends the JSON array of its results, its error
// left out, to dst. blobs holds the raw blobs of the request frame, which a
// []byte argument may name by index.
//
// Errors: ErrBadArguments (naming the argument), a *ServiceError holding the
// service's own error, a *PanicError (the panic is recovered), ErrResult.
//
// A panic anywhere in the call, the service or the UnmarshalJSON and
// MarshalJSON methods of its argument and result types, is recovered.
func (s *Service) Invoke(ctx context.Context, args []byte, blobs [][]byte, dst []byte) ([]byte, error) {
	res, _, err := s.InvokeBlobs(ctx, args, blobs, dst, -1)
	return res, err
}

// InvokeBlobs is Invoke for a peer that accepts blobs (PROTOCOL.md section
// 6): each result of type exactly []byte holding at least minBlob bytes is
// written as its blob index and returned in out, in index order, to be sent
// after the frame. A negative minBlob sends none.
func (s *Service) InvokeBlobs(ctx context.Context, args []byte, blobs [][]byte, dst []byte, minBlob int) (res []byte, out [][]byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, out, err = dst, nil, &PanicError{Service: s.full, Value: v, Stack: debug.Stack()}
		}
	}()
	fr := s.getFrame()
	in, err := s.decodeArgs(ctx, args, blobs, fr)
	if err != nil {
		s.putFrame(fr)
		return dst, nil, err
	}
	if s.callbacks {
		ends, err := s.makeCallbacks(ctx, in)
		defer endCallbacks(ends) // whatever the service did: panicked, kept them
		if err != nil {
			return dst, nil, err
		}
	}
	if s.stream != noStream {
		if err := s.streamable(ctx); err != nil {
			return dst, nil, err // before the service starts a producer nobody reads
		}
	}
	results := s.fn.Call(in)
	s.putFrame(fr) // Call copied the arguments
	if s.hasErr {
		if e := results[s.results]; !e.IsNil() {
			err := e.Interface().(error)
			// Error may panic, on a typed nil for one: do it here.
			return dst, nil, &ServiceError{Service: s.full, Err: err, msg: err.Error()}
		}
	}
	if s.stream != noStream {
		if err := s.pump(ctx, results[0]); err != nil {
			return dst, nil, err
		}
		return append(dst, "[]"...), nil, nil // the items went before
	}
	return s.encodeResults(dst, results[:s.results], minBlob)
}

func (s *Service) badArgs(format string, a ...any) error {
	return fmt.Errorf("%s: %w: %s", s.full, ErrBadArguments, fmt.Sprintf(format, a...))
}

// paramAt returns the parameter the i-th argument decodes into.
func (s *Service) paramAt(i int) (param, bool) {
	if i < len(s.params) && !(s.variadic && i == len(s.params)-1) {
		return s.params[i], true
	}
	if s.variadic {
		return s.params[len(s.params)-1], true
	}
	return param{}, false
}

// argFrame holds the arguments of one call of a service, decoded in place
// and passed to its func: reused call after call (Service.frames), so that
// decoding the arguments allocates only what their values hold.
type argFrame struct {
	ctx  context.Context
	ctxV reflect.Value   // ctx, settable
	ptrs []reflect.Value // per parameter, a pointer to where it decodes
	in   []reflect.Value // what the func is called with
}

// getFrame returns an argument frame for a call of s, nil when s's calls
// do not use them: variadic services, and those taking callbacks or
// streams (their arguments are made otherwise, or live on).
func (s *Service) getFrame() *argFrame {
	if s.variadic || s.callbacks || s.stream != noStream {
		return nil
	}
	if fr, _ := s.frames.Get().(*argFrame); fr != nil {
		return fr
	}
	fr := &argFrame{ptrs: make([]reflect.Value, len(s.params)), in: make([]reflect.Value, 0, len(s.params)+1)}
	fr.ctxV = reflect.ValueOf(&fr.ctx).Elem()
	for i, p := range s.params {
		fr.ptrs[i] = reflect.New(p.typ)
	}
	return fr
}

// putFrame zeroes fr, so that it holds nothing of the call, and keeps it
// for the next one.
func (s *Service) putFrame(fr *argFrame) {
	if fr == nil {
		return
	}
	fr.ctx = nil
	for _, p := range fr.ptrs {
		p.Elem().SetZero()
	}
	clear(fr.in)
	fr.in = fr.in[:0]
	s.frames.Put(fr)
}

// slot returns where argument i decodes in fr, invalid when it has no
// place there (then decodeArg allocates one).
func (fr *argFrame) slot(i int) reflect.Value {
	if fr == nil || i >= len(fr.ptrs) {
		return reflect.Value{}
	}
	return fr.ptrs[i]
}

func (s *Service) decodeArgs(ctx context.Context, args []byte, blobs [][]byte, fr *argFrame) ([]reflect.Value, error) {
	var in []reflect.Value
	if fr != nil {
		in = fr.in
	} else {
		in = make([]reflect.Value, 0, len(s.params)+1)
	}
	if s.hasCtx {
		if fr != nil {
			fr.ctx = ctx
			in = append(in, fr.ctxV)
		} else {
			c := ctx // only here: ctx itself stays off the heap
			in = append(in, reflect.ValueOf(&c).Elem())
		}
	}
	if s.fast != nil {
		if out, ok := s.decodeFast(args, in, fr); ok {
			return out, nil
		}
	}
	n := 0
	if len(args) > 0 {
		iter := wire.JSON.BorrowIterator(args)
		defer wire.JSON.ReturnIterator(iter)
		switch iter.WhatIsNext() {
		case jsoniter.NilValue:
		case jsoniter.ArrayValue:
			last, inElem := len(in), false // in before the last element read
			var asOne jsoniter.ValueType   // the variadic slice as one element: an array, or null
			for iter.ReadArray() {
				switch asOne {
				case jsoniter.ArrayValue: // not the last element
					return nil, s.notLast(n - 1)
				case jsoniter.NilValue: // not the last element: null was an argument
					in, asOne = append(in, reflect.Zero(s.params[n-1].typ)), jsoniter.InvalidValue
				}
				last = len(in)
				if asOne = s.asOne(iter, n); asOne == jsoniter.ArrayValue {
					var err error
					if in, err = s.decodeSlice(iter, in); err != nil {
						return nil, err
					}
				} else if asOne == jsoniter.NilValue {
					iter.Skip()
				} else if p, ok := s.paramAt(n); !ok {
					iter.Skip()
				} else if v, err := s.decodeArgAt(iter, p, n, blobs, fr.slot(n)); err != nil {
					return nil, err
				} else if iter.Error == nil {
					in = append(in, v)
				}
				if iter.Error != nil {
					inElem = true
					break
				}
				n++
			}
			if iter.Error != nil {
				// The codec refused element n or, failing after it, element
				// n-1, which it may have read in part (an int 1 of 1e400):
				// decode again from there with encoding/json.
				if !inElem && n > 0 {
					n--
				}
				var err error
				if in, n, err = s.decodeRest(args, in[:last], n, blobs, iter.Error); err != nil {
					return nil, err
				}
			}
		default:
			return nil, s.badArgs("args must be a JSON array")
		}
	}
	want := len(s.params)
	switch {
	case s.variadic && n < want-1:
		return nil, s.badArgs("takes at least %d arguments, got %d", want-1, n)
	case !s.variadic && n != want:
		return nil, s.badArgs("takes %d arguments, got %d", want, n)
	}
	return in, nil
}

// decodeFast decodes the args array with the parameters' jsonfast
// decoders, into fr's slots or new values, appending them to in. It
// reports false, with the values it wrote zeroed, when a decoder declined
// or args is not an array of as many arguments; decodeArgs then decodes
// args again with the codec, with its errors.
func (s *Service) decodeFast(args []byte, in []reflect.Value, fr *argFrame) ([]reflect.Value, bool) {
	i, ok := jsonfast.ArrayStart(args)
	first := len(in)
	for n, d := range s.fast {
		if !ok {
			break
		}
		v := fr.slot(n)
		if !v.IsValid() {
			v = reflect.New(s.params[n].typ)
		}
		in = append(in, v.Elem())
		if s.params[n].bytes && jsonfast.NumberAt(args, i) {
			ok = false // a blob's index
			break
		}
		if i = d.Decode(args, i, v.UnsafePointer()); i < 0 {
			ok = false
			break
		}
		i, ok = jsonfast.ArrayNext(args, i, n+1 < len(s.fast))
	}
	if !ok {
		for _, v := range in[first:] {
			v.SetZero()
		}
		return in[:first], false
	}
	return in, true
}

// decodeArg decodes the argument at iter into p's type. An error is final;
// when the codec refuses the value, it sets iter.Error instead.
func (s *Service) decodeArg(iter *jsoniter.Iterator, p param, i int, blobs [][]byte) (reflect.Value, error) {
	return s.decodeArgAt(iter, p, i, blobs, reflect.Value{})
}

// decodeArgAt is decodeArg into v, a pointer to a zero value of p's type
// (when invalid, one is allocated).
func (s *Service) decodeArgAt(iter *jsoniter.Iterator, p param, i int, blobs [][]byte, v reflect.Value) (reflect.Value, error) {
	if p.fn {
		return s.callbackID(iter.SkipAndReturnBytes(), p, i)
	}
	if !v.IsValid() {
		v = reflect.New(p.typ)
	}
	if p.bytes && iter.WhatIsNext() == jsoniter.NumberValue {
		k := iter.ReadInt()
		if iter.Error != nil || k < 0 || k >= len(blobs) {
			return v, s.badArgs("argument %d ([]byte): blob index %d, but the frame has %d blobs", i, k, len(blobs))
		}
		v.Elem().SetBytes(blobs[k])
		return v.Elem(), nil
	}
	p.dec.Decode(v.UnsafePointer(), iter)
	return v.Elem(), nil
}

// decodeRest decodes the arguments from the n-th on with encoding/json,
// after the codec refused the n-th: it refuses some JSON that encoding/json
// takes, such as a number out of float64's range (valid JSON, which a
// json.RawMessage or a json.Number holds, and which an argument after the
// last is). It returns the arguments and their count. It runs on the error
// path only.
func (s *Service) decodeRest(args []byte, in []reflect.Value, n int, blobs [][]byte, iterErr error) ([]reflect.Value, int, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(args, &elems); err != nil {
		return nil, 0, s.badArgs("args: %s", wire.DecodeError(err))
	}
	if n > len(elems) {
		return nil, 0, s.badArgs("args: %s", wire.DecodeError(iterErr))
	}
	for ; n < len(elems); n++ {
		switch form, lastElem := s.asOneElem(elems[n], n), n == len(elems)-1; {
		case form == jsoniter.ArrayValue && !lastElem:
			return nil, 0, s.notLast(n)
		case form == jsoniter.ArrayValue:
			var err error
			if in, err = s.decodeSliceElem(elems[n], in); err != nil {
				return nil, 0, err
			}
			continue
		case form == jsoniter.NilValue && lastElem:
			continue // no variadic arguments
		}
		p, ok := s.paramAt(n)
		if !ok {
			continue
		}
		v, err := s.decodeElem(elems[n], p, n, blobs)
		if err != nil {
			return nil, 0, err
		}
		in = append(in, v)
	}
	return in, n, nil
}

// decodeElem decodes the argument elem with encoding/json. A []byte may be
// a blob index, as in decodeArg.
func (s *Service) decodeElem(elem []byte, p param, i int, blobs [][]byte) (reflect.Value, error) {
	if p.fn {
		return s.callbackID(elem, p, i)
	}
	ptr := reflect.New(p.typ)
	if p.bytes && len(elem) > 0 && (elem[0] == '-' || '0' <= elem[0] && elem[0] <= '9') {
		k, err := strconv.Atoi(string(elem))
		if err != nil || k < 0 || k >= len(blobs) {
			return ptr, s.badArgs("argument %d ([]byte): blob index %s, but the frame has %d blobs", i, wire.Clip(elem), len(blobs))
		}
		ptr.Elem().SetBytes(blobs[k])
		return ptr.Elem(), nil
	}
	if err := json.Unmarshal(elem, ptr.Interface()); err != nil {
		return ptr, s.badArgs("argument %d (%v): %s", i, p.typ, wire.DecodeValueError(p.typ, elem, err))
	}
	return ptr.Elem(), nil
}

func (s *Service) encodeResults(dst []byte, results []reflect.Value, minBlob int) (_ []byte, out [][]byte, _ error) {
	return s.encode(dst, results, s.rawBytes, s.validate, s.encs, minBlob, "result")
}

// encode appends the JSON array of vals to dst; rawBytes and validate say,
// per value, whether it may travel as a blob and whether it may hold raw
// JSON to check. what names a value in errors.
func (s *Service) encode(dst []byte, vals []reflect.Value, rawBytes, validate []bool, encs []*jsonfast.Encoder, minBlob int, what string) (_ []byte, out [][]byte, _ error) {
	stream := resultCodec.BorrowStream(nil)
	stream.SetBuffer(dst)
	defer func() {
		stream.SetBuffer(nil) // the pool must not keep our buffer
		resultCodec.ReturnStream(stream)
	}()
	stream.WriteArrayStart()
	for i, v := range vals {
		if i > 0 {
			stream.WriteMore()
		}
		if minBlob >= 0 && rawBytes[i] && v.Len() >= minBlob {
			stream.WriteInt(len(out))
			out = append(out, v.Bytes())
			continue
		}
		start := len(stream.Buffer())
		written := false
		if enc := encs[i]; enc != nil {
			var buf []byte
			if buf, written = enc.AppendValue(stream.Buffer(), v); !written {
				buf = buf[:start]
			}
			stream.SetBuffer(buf)
		}
		if !written {
			stream.WriteVal(v.Interface())
		}
		if stream.Error != nil {
			return dst, nil, fmt.Errorf("%s: %w: %s %d (%v): %v", s.full, ErrResult, what, i, v.Type(), stream.Error)
		}
		if validate[i] {
			// Raw JSON, which the codec copies as it is: check it, and
			// compact it and fix its UTF-8 as encoding/json would.
			buf := stream.Buffer()
			clean, ok := cleanJSON(buf[start:])
			if !ok {
				return dst, nil, fmt.Errorf("%s: %w: %s %d (%v): encodes to invalid JSON", s.full, ErrResult, what, i, v.Type())
			}
			if len(clean) != len(buf)-start || &clean[0] != &buf[start] {
				stream.SetBuffer(append(buf[:start], clean...))
			}
		}
	}
	stream.WriteArrayEnd()
	return stream.Buffer(), out, nil
}
