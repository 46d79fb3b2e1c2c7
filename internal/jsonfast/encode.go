package jsonfast

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
	"github.com/modern-go/reflect2"

	"github.com/hostcall/hostcall/internal/wire"
)

// Encoders write JSON for the shapes Decoder reads, byte for byte as one
// codec (a jsoniter API configured like encoding/json, escaping HTML)
// writes it, and hand every other type inside a value to that codec by
// pointer, as the codec's own encoders do. They decline a value they
// cannot write as the codec would (a float64 that is NaN or infinite,
// nesting past maxDepth): the caller then writes the whole value with the
// codec, which reports the error.
type Encoders struct {
	codec jsoniter.API
	cache sync.Map // reflect.Type -> *Encoder, nil for types left to the codec
}

// NewEncoders returns the Encoders that write as codec does. codec must
// escape HTML and encode floats as encoding/json does (jsoniter's
// ConfigCompatibleWithStandardLibrary and configurations like it).
func NewEncoders(codec jsoniter.API) *Encoders { return &Encoders{codec: codec} }

// Encoder encodes values of one type.
type Encoder struct{ root *enode }

// For returns the Encoder for type t, nil when t is a type the codec
// encodes whole.
func (e *Encoders) For(t reflect.Type) *Encoder {
	if enc, ok := e.cache.Load(t); ok {
		return enc.(*Encoder)
	}
	b := ebuilder{codec: e.codec, seen: map[reflect.Type]*enode{}}
	var enc *Encoder
	if n := b.node(t); n.op != opCodec {
		enc = &Encoder{root: n}
	}
	got, _ := e.cache.LoadOrStore(t, enc)
	return got.(*Encoder)
}

// Append appends the JSON of the value at ptr to dst. It reports false
// when it declines the value, and always for a nil Encoder; the bytes of
// dst are kept either way, in the slice it returns.
func (enc *Encoder) Append(dst []byte, ptr unsafe.Pointer) ([]byte, bool) {
	if enc == nil {
		return dst, false
	}
	return enc.root.encode(dst, ptr, 0)
}

// AppendValue is Append for the value v holds. A value without an address
// is reached through the interface v.Interface() makes, as the codec
// reaches it, with no copy beyond the one boxing makes (none for small
// integers); but for a pointer-sized struct or array, which the compiler
// may keep in the interface itself by rules that change, a copy is made.
func (enc *Encoder) AppendValue(dst []byte, v reflect.Value) ([]byte, bool) {
	if enc == nil {
		return dst, false
	}
	if v.CanAddr() {
		return enc.root.encode(dst, v.Addr().UnsafePointer(), 0)
	}
	t := v.Type()
	if k := t.Kind(); (k == reflect.Struct || k == reflect.Array) && t.Size() == unsafe.Sizeof(uintptr(0)) {
		p := reflect.New(t)
		p.Elem().Set(v)
		return enc.root.encode(dst, p.UnsafePointer(), 0)
	}
	box := v.Interface()
	data := (*[2]unsafe.Pointer)(unsafe.Pointer(&box))[1] // an interface's data word
	if t.Kind() == reflect.Pointer {
		// The data word is the pointer itself.
		word := data
		return enc.root.encode(dst, unsafe.Pointer(&word), 0)
	}
	return enc.root.encode(dst, data, 0)
}

// enode encodes values of one type; op is as for node.
type enode struct {
	op     op
	typ    reflect.Type
	size   uintptr
	elem   *enode
	fields []efield
	codec  jsoniter.ValEncoder
	api    jsoniter.API
	// likePtr: the codec's encoder takes the value itself, not a pointer
	likePtr bool
	// byPtr: the codec's encoder is that of the pointer type, whose
	// methods marshal the value
	byPtr bool
}

type efield struct {
	prefix    []byte // `"name":`, after a comma when not the first written
	omitEmpty bool
	offset    uintptr
	node      *enode
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

type ebuilder struct {
	codec jsoniter.API
	seen  map[reflect.Type]*enode
}

func (b *ebuilder) node(t reflect.Type) *enode {
	if n, ok := b.seen[t]; ok {
		return n
	}
	n := &enode{typ: t}
	b.seen[t] = n
	n.op, n.size = classify(t, jsonMarshalerType, textMarshalerType)
	switch n.op {
	case opSlice, opPointer:
		n.elem = b.node(t.Elem())
	case opStruct:
		if !b.structFields(n) {
			return b.codecNode(n)
		}
	case opCodec:
		return b.codecNode(n)
	}
	return n
}

func (b *ebuilder) codecNode(n *enode) *enode {
	n.op = opCodec
	n.api = b.codec
	t := n.typ
	if !t.Implements(jsonMarshalerType) && !t.Implements(textMarshalerType) &&
		(reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
		// The codec calls methods on the pointer for a value inside
		// another (a field, an element), which is where a node stands,
		// but not at the top, where EncoderOf stands: encode the value
		// as the pointer to it.
		n.codec = b.codec.EncoderOf(reflect2.Type2(reflect.PointerTo(t)))
		n.byPtr = true
		return n
	}
	n.codec = b.codec.EncoderOf(reflect2.Type2(t))
	n.likePtr = reflect2.Type2(t).LikePtr()
	return n
}

// structFields gives n the fields the Encoder writes, and reports false
// for a struct it leaves to the codec (see fieldSpecs; names with <, > or
// &, which the codec escapes, too).
func (b *ebuilder) structFields(n *enode) bool {
	specs, ok := fieldSpecs(n.typ)
	if !ok {
		return false
	}
	for _, f := range specs {
		if strings.ContainsAny(f.name, "<>&") {
			return false
		}
	}
	n.fields = make([]efield, len(specs))
	for i, f := range specs {
		n.fields[i] = efield{prefix: []byte(`,"` + f.name + `":`), omitEmpty: f.omitEmpty, offset: f.offset}
	}
	for i, f := range specs {
		n.fields[i].node = b.node(f.typ)
	}
	return true
}

// empty reports whether the value at p is empty for omitempty, as the
// codec judges it.
func (n *enode) empty(p unsafe.Pointer) bool {
	switch n.op {
	case opBool:
		return !*(*bool)(p)
	case opInt, opUint:
		return load(p, n.size) == 0
	case opFloat64:
		return *(*float64)(p) == 0
	case opString:
		return *(*string)(p) == ""
	case opSlice, opBytes:
		return (*sliceHeader)(p).len == 0
	case opPointer:
		return *(*unsafe.Pointer)(p) == nil
	case opStruct:
		return false
	}
	return n.codec.IsEmpty(n.codecPtr(p))
}

// codecPtr returns what the codec's encoder takes for the value at p: p,
// or the value itself for a type shaped like a pointer (a map, a pointer,
// a struct of one pointer...), as in the data word of an interface.
func (n *enode) codecPtr(p unsafe.Pointer) unsafe.Pointer {
	switch {
	case n.byPtr:
		return p // the pointer is the value the encoder of its type takes
	case n.likePtr:
		return *(*unsafe.Pointer)(p)
	}
	return p
}

func (n *enode) encode(dst []byte, p unsafe.Pointer, depth int) ([]byte, bool) {
	switch n.op {
	case opBool:
		return strconv.AppendBool(dst, *(*bool)(p)), true
	case opInt:
		shift := 64 - 8*n.size // sign-extends the int of size bytes
		return strconv.AppendInt(dst, int64(load(p, n.size)<<shift)>>shift, 10), true
	case opUint:
		return strconv.AppendUint(dst, load(p, n.size), 10), true
	case opFloat64:
		return appendFloat(dst, *(*float64)(p))
	case opString:
		return wire.AppendStringHTML(dst, *(*string)(p)), true
	case opBytes:
		b := *(*[]byte)(p)
		if b == nil {
			return append(dst, "null"...), true
		}
		n := base64.StdEncoding.EncodedLen(len(b))
		dst = slices.Grow(dst, n+2)
		dst = append(dst, '"')
		base64.StdEncoding.Encode(dst[len(dst):len(dst)+n], b)
		return append(dst[:len(dst)+n], '"'), true
	case opSlice:
		h := (*sliceHeader)(p)
		if h.data == nil {
			return append(dst, "null"...), true
		}
		if depth == maxDepth {
			return dst, false
		}
		dst = append(dst, '[')
		size := n.elem.typ.Size()
		for k := 0; k < h.len; k++ {
			if k > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = n.elem.encode(dst, unsafe.Add(h.data, uintptr(k)*size), depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case opPointer:
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return append(dst, "null"...), true
		}
		if depth == maxDepth {
			return dst, false
		}
		return n.elem.encode(dst, q, depth+1)
	case opStruct:
		if depth == maxDepth {
			return dst, false
		}
		dst = append(dst, '{')
		first := true
		for i := range n.fields {
			f := &n.fields[i]
			fp := unsafe.Add(p, f.offset)
			if f.omitEmpty && f.node.empty(fp) {
				continue
			}
			if first {
				dst = append(dst, f.prefix[1:]...)
				first = false
			} else {
				dst = append(dst, f.prefix...)
			}
			var ok bool
			if dst, ok = f.node.encode(dst, fp, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	}
	stream := n.api.BorrowStream(nil)
	stream.SetBuffer(dst)
	n.codec.Encode(n.codecPtr(p), stream)
	dst, err := stream.Buffer(), stream.Error
	stream.SetBuffer(nil)
	n.api.ReturnStream(stream)
	return dst, err == nil
}

// appendFloat writes f as the codec does: the shortest decimal that reads
// back as f, in exponent form below 1e-6 and from 1e21 on (exponents of
// two digits at least, 1e-07, where encoding/json writes 1e-7).
func appendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, f, format, -1, 64), true
}
