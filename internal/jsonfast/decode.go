// Package jsonfast decodes and encodes the JSON of arguments and results
// straight between bytes and Go values, without the codec's iterator and
// stream, for the shapes such values mostly have: booleans, numbers, strings, slices, pointers and
// structs of these. It decodes each value exactly as the codec (wire.JSON)
// does, or declines it: a Decode that returns -1 leaves the value for the
// codec to decode again, from the start, with the codec's own errors.
// Encoders (encode.go) write the same shapes byte for byte as the codec.
//
// What the Decoder takes itself: bool; int and uint types (not uintptr); float64 (by
// strconv, which the codec's fast path agrees with and its slow path calls,
// after an allocation); strings without escapes; slices; pointers; structs whose fields it can
// name as the codec does (exported, not embedded, no ",string" option,
// names of printable ASCII, no two names equal but for case). It hands any
// other type inside a value to the codec, on that value's bytes alone:
// maps, interfaces, arrays, []byte (base64), float32 (which the codec
// rounds twice, by way of float64) and types with UnmarshalJSON or
// UnmarshalText. It declines a whole value when it meets bytes that are not
// JSON, a value of the wrong type, a number out of its type's range, a
// string or member name with escapes, nesting past maxDepth, a member
// given twice, a member name
// outside ASCII that matches no field exactly (the codec folds case its own
// ways there), or an unknown member holding a number with an exponent
// (which the codec may refuse).
package jsonfast

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
	"github.com/modern-go/reflect2"

	"github.com/hostcall/hostcall/internal/wire"
)

// Decoder decodes JSON into values of one type.
type Decoder struct{ root *node }

// Decode decodes the JSON value at data[i:], after any whitespace, into the
// value at ptr, which must be a zero value of the Decoder's type. It
// returns the index just past the value, or -1 when it declines (see the
// package doc); *ptr may then hold part of the value, and the caller zeroes
// it before the codec decodes it.
func (d *Decoder) Decode(data []byte, i int, ptr unsafe.Pointer) int {
	return d.root.decode(data, i, ptr, 0)
}

// maxDepth bounds the nesting of the arrays and objects decoded here, well
// within the codec's own bound: a value nested deeper is the codec's.
const maxDepth = 1000

var cache sync.Map // reflect.Type -> *Decoder, nil for types left to the codec

// For returns the Decoder for type t, nil when t is a type the codec
// decodes whole (see the package doc), so that there is nothing to gain.
func For(t reflect.Type) *Decoder {
	if d, ok := cache.Load(t); ok {
		return d.(*Decoder)
	}
	b := builder{seen: map[reflect.Type]*node{}}
	var d *Decoder
	if n := b.node(t); n.op != opCodec {
		d = &Decoder{root: n}
	}
	got, _ := cache.LoadOrStore(t, d)
	return got.(*Decoder)
}

type op uint8

const (
	opCodec op = iota // decoded by the codec, on the value's bytes
	opBool
	opInt
	opUint
	opFloat64
	opString
	opSlice
	opPointer
	opStruct
	opBytes // a slice of bytes, as base64
)

var byteType = reflect.TypeFor[byte]()

// node decodes values of one type.
type node struct {
	op     op
	typ    reflect.Type
	size   uintptr // opInt, opUint: bytes
	elem   *node   // opSlice, opPointer
	fields []field // opStruct
	codec  jsoniter.ValDecoder
}

type field struct {
	name   string // as the codec names it
	lower  string // name with ASCII letters in lower case
	offset uintptr
	node   *node
}

// maxFields bounds the fields of a struct decoded here: members seen are
// kept in one word.
const maxFields = 64

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberTypes         = map[reflect.Type]bool{
		reflect.TypeFor[json.Number]():     true,
		reflect.TypeFor[jsoniter.Number](): true,
	}
)

type builder struct{ seen map[reflect.Type]*node }

func (b *builder) node(t reflect.Type) *node {
	if n, ok := b.seen[t]; ok {
		return n // a type that holds itself: the node is being built
	}
	n := &node{typ: t}
	b.seen[t] = n
	n.op, n.size = classify(t, jsonUnmarshalerType, textUnmarshalerType)
	switch n.op {
	case opBytes: // the codec takes arrays of numbers
		n.codec = wire.JSON.DecoderOf(reflect2.Type2(reflect.PointerTo(t)))
	case opSlice, opPointer:
		n.elem = b.node(t.Elem())
	case opStruct:
		if !b.structFields(n) {
			return b.codec(n)
		}
	case opCodec:
		return b.codec(n)
	}
	return n
}

// classify returns the op for values of type t and, for integers, their
// size: opCodec for the types the codec decodes or encodes whole, those
// that implement one of methods (by value or by pointer) among them.
func classify(t reflect.Type, methods ...reflect.Type) (op, uintptr) {
	for _, m := range methods {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return opCodec, 0
		}
	}
	if numberTypes[t] {
		return opCodec, 0
	}
	switch t.Kind() {
	case reflect.Bool:
		return opBool, 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return opInt, t.Size()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return opUint, t.Size()
	case reflect.Float64:
		return opFloat64, 0
	case reflect.String:
		return opString, 0
	case reflect.Slice:
		switch {
		case t.Elem() == byteType:
			return opBytes, 0 // base64
		case t.Elem().Kind() == reflect.Uint8:
			return opCodec, 0
		}
		return opSlice, 0
	case reflect.Pointer:
		return opPointer, 0
	case reflect.Struct:
		return opStruct, 0
	}
	return opCodec, 0
}

func (b *builder) codec(n *node) *node {
	n.op = opCodec
	n.codec = wire.JSON.DecoderOf(reflect2.Type2(reflect.PointerTo(n.typ)))
	return n
}

// fieldSpec is a struct field as the codec names it.
type fieldSpec struct {
	name      string
	lower     string // name with ASCII letters in lower case
	omitEmpty bool
	offset    uintptr
	typ       reflect.Type
}

// fieldSpecs lists the fields of struct type t that the codec decodes and
// encodes, named as it names them. It reports false for a struct whose
// naming it leaves to the codec: embedded fields, names the codec deems
// exported by their first byte, the ",string" option, names outside
// printable ASCII or with a quote or a backslash, two names equal but for
// case (the codec drops or picks one its own ways).
func fieldSpecs(t reflect.Type) ([]fieldSpec, bool) {
	var fields []fieldSpec
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous || f.Name[0] >= 0x80 {
			return nil, false
		}
		tag := f.Tag.Get("json")
		if tag == "-" || f.Name == "_" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		opts = "," + opts + ","
		if strings.Contains(opts, ",string,") {
			return nil, false
		}
		if name == "" {
			name = f.Name
		}
		if !plainName(name) {
			return nil, false
		}
		fields = append(fields, fieldSpec{name: name, lower: lowerASCII(name),
			omitEmpty: strings.Contains(opts, ",omitempty,"), offset: f.Offset, typ: f.Type})
	}
	for i := range fields {
		for j := range i {
			if fields[i].lower == fields[j].lower {
				return nil, false
			}
		}
	}
	return fields, true
}

// structFields gives n the fields the Decoder decodes, and reports false
// for a struct it leaves to the codec.
func (b *builder) structFields(n *node) bool {
	specs, ok := fieldSpecs(n.typ)
	if !ok || len(specs) > maxFields {
		return false
	}
	n.fields = make([]field, len(specs)) // before the fields' nodes: a field may hold the struct itself
	for i, f := range specs {
		n.fields[i] = field{name: f.name, lower: f.lower, offset: f.offset}
	}
	for i, f := range specs {
		n.fields[i].node = b.node(f.typ)
	}
	return true
}

// plainName reports whether a member name is printable ASCII without a
// quote or a backslash.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ArrayStart reads the opening bracket of the JSON array in data, and
// reports whether an element follows: i is where it starts.
func ArrayStart(data []byte) (i int, more bool) {
	i = wire.SpaceEnd(data, 0)
	if i >= len(data) || data[i] != '[' {
		return -1, false
	}
	i = wire.SpaceEnd(data, i+1)
	return i, i < len(data) && data[i] != ']'
}

// ArrayNext reads what follows the element of the array in data that ends
// at i, given whether another one must follow. It reports whether what
// follows is what must: a comma, or else the array's closing bracket with
// nothing but whitespace after it. i is where the next element starts.
func ArrayNext(data []byte, i int, another bool) (next int, ok bool) {
	next, more := after(data, i, ']')
	if another {
		return next, more
	}
	return next, next >= 0 && !more && wire.SpaceEnd(data, next) == len(data)
}

// NumberAt reports whether the value at data[i:], after any whitespace, is
// a number: for a []byte, a blob's index rather than base64.
func NumberAt(data []byte, i int) bool {
	i = wire.SpaceEnd(data, i)
	return i < len(data) && (data[i] == '-' || '0' <= data[i] && data[i] <= '9')
}

// sliceHeader is the layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// emptyArray is where the empty slices decoded from [] point.
var emptyArray [0]uint64

func (n *node) decode(data []byte, i int, p unsafe.Pointer, depth int) int {
	i = wire.SpaceEnd(data, i)
	if i >= len(data) {
		return -1
	}
	c := data[i]
	if c == 'n' && n.op != opCodec {
		// null leaves the zero value as the codec does: it sets a slice
		// or a pointer to nil and leaves the other kinds alone.
		if !literal(data, i, "null") {
			return -1
		}
		return i + 4
	}
	switch n.op {
	case opBool:
		switch {
		case c == 't' && literal(data, i, "true"):
			*(*bool)(p) = true
			return i + 4
		case c == 'f' && literal(data, i, "false"):
			return i + 5
		}
		return -1
	case opInt:
		return decodeInt(data, i, p, n.size)
	case opUint:
		return decodeUint(data, i, p, n.size)
	case opFloat64:
		end := numberEnd(data, i)
		if end < 0 {
			return -1
		}
		f, err := strconv.ParseFloat(unsafe.String(&data[i], end-i), 64)
		if err != nil {
			return -1
		}
		*(*float64)(p) = f
		return end
	case opString:
		if c != '"' {
			return -1
		}
		for j := i + 1; j < len(data); j++ {
			switch c := data[j]; {
			case c == '"':
				*(*string)(p) = string(data[i+1 : j])
				return j + 1
			case c == '\\':
				return n.viaCodec(data, i, p, depth)
			case c < 0x20:
				return -1
			}
		}
		return -1
	case opBytes:
		return n.decodeBytes(data, i, p, depth)
	case opSlice:
		if depth == maxDepth {
			return -1
		}
		return n.decodeSlice(data, i, p, depth+1)
	case opPointer:
		v := reflect.New(n.elem.typ)
		end := n.elem.decode(data, i, v.UnsafePointer(), depth)
		if end >= 0 {
			*(*unsafe.Pointer)(p) = v.UnsafePointer()
		}
		return end
	case opStruct:
		if depth == maxDepth {
			return -1
		}
		return n.decodeStruct(data, i, p, depth+1)
	}
	return n.viaCodec(data, i, p, depth)
}

// viaCodec decodes the value at data[i] with the codec, on its bytes alone.
func (n *node) viaCodec(data []byte, i int, p unsafe.Pointer, depth int) int {
	codec := n.codec
	if codec == nil { // a string with escapes
		codec = stringCodec
	}
	end := skipWithin(data, i, depth, false)
	if end < 0 {
		return -1
	}
	it := wire.JSON.BorrowIterator(data[i:end])
	codec.Decode(p, it)
	err := it.Error
	wire.JSON.ReturnIterator(it)
	if err != nil && err != io.EOF {
		return -1
	}
	return end
}

var stringCodec = wire.JSON.DecoderOf(reflect2.TypeOf((*string)(nil)))

// decodeBytes decodes a base64 string, as the codec does with
// base64.StdEncoding, but from the frame's bytes: the codec makes a
// string of them first. An array of numbers is the codec's.
func (n *node) decodeBytes(data []byte, i int, p unsafe.Pointer, depth int) int {
	if data[i] != '"' {
		return n.viaCodec(data, i, p, depth)
	}
	k := wire.StringStop(data[i+1:])
	switch {
	case k < 0:
		return -1
	case data[i+1+k] == '\\':
		return n.viaCodec(data, i, p, depth)
	case data[i+1+k] != '"':
		return -1 // a control character
	}
	src := data[i+1 : i+1+k]
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	m, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return -1
	}
	*(*[]byte)(p) = dst[:m]
	return i + 2 + k
}

func (n *node) decodeSlice(data []byte, i int, p unsafe.Pointer, depth int) int {
	if data[i] != '[' {
		return -1
	}
	h := (*sliceHeader)(p)
	i = wire.SpaceEnd(data, i+1)
	if i < len(data) && data[i] == ']' {
		*h = sliceHeader{data: unsafe.Pointer(&emptyArray)}
		return i + 1
	}
	sv := reflect.NewAt(n.typ, p).Elem()
	size := n.elem.typ.Size()
	for k := 0; ; k++ {
		if k == h.cap {
			sv.Grow(1)
		}
		h.len = k + 1
		if i = n.elem.decode(data, i, unsafe.Add(h.data, uintptr(k)*size), depth); i < 0 {
			return -1
		}
		var more bool
		if i, more = after(data, i, ']'); !more {
			return i
		}
	}
}

// after reads what follows a value in an array or object whose closer is
// closer: it returns the index after a comma with more set, or after the
// closer; -1 when neither follows.
func after(data []byte, i int, closer byte) (next int, more bool) {
	i = wire.SpaceEnd(data, i)
	switch {
	case i >= len(data):
		return -1, false
	case data[i] == ',':
		return i + 1, true
	case data[i] == closer:
		return i + 1, false
	}
	return -1, false
}

func (n *node) decodeStruct(data []byte, i int, p unsafe.Pointer, depth int) int {
	if data[i] != '{' {
		return -1
	}
	i = wire.SpaceEnd(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1
	}
	var seen uint64
	for {
		if i >= len(data) || data[i] != '"' {
			return -1
		}
		start := i + 1
		for i = start; i < len(data) && data[i] != '"'; i++ {
			if c := data[i]; c == '\\' || c < 0x20 {
				return -1
			}
		}
		if i >= len(data) {
			return -1
		}
		key := data[start:i]
		i = wire.SpaceEnd(data, i+1)
		if i >= len(data) || data[i] != ':' {
			return -1
		}
		i++
		switch f := n.field(key); {
		case f == -2:
			return -1
		case f == -1:
			if i = skipWithin(data, i, depth, true); i < 0 {
				return -1
			}
		case seen&(1<<f) != 0:
			return -1
		default:
			seen |= 1 << f
			fd := &n.fields[f]
			if i = fd.node.decode(data, i, unsafe.Add(p, fd.offset), depth); i < 0 {
				return -1
			}
		}
		var more bool
		if i, more = after(data, i, '}'); !more {
			return i
		}
		i = wire.SpaceEnd(data, i)
	}
}

// skipWithin returns the index after the JSON value at data[i:], -1 when
// there is none or when it nests past maxDepth counted from depth, the
// levels around it: the codec counts them all, and the value is left to
// it. With noExp, it declines a number with an exponent too: the codec
// skips unknown members' numbers by reading them as floats, and refuses
// the ones out of range, which JSON itself allows.
func skipWithin(data []byte, i, depth int, noExp bool) int {
	end := wire.SkipValue(data, i)
	if end < 0 {
		return -1
	}
	in := false
	for j := i; j < end; j++ {
		switch c := data[j]; {
		case in && c == '\\':
			j++
		case c == '"':
			in = !in
		case in:
		case c == '[' || c == '{':
			if depth++; depth > maxDepth {
				return -1
			}
		case c == ']' || c == '}':
			depth--
		case noExp && (c == 'e' || c == 'E') && j > i && '0' <= data[j-1] && data[j-1] <= '9':
			return -1
		}
	}
	return end
}

// field returns the index of the field the member key names, as the codec
// matches them: the exact name, else the name with ASCII case folded. It
// returns -1 for none and -2 for a key outside ASCII that names no field
// exactly, which the codec may fold in ways of its own.
func (n *node) field(key []byte) int {
	for i := range n.fields {
		if string(key) == n.fields[i].name {
			return i
		}
	}
	for _, c := range key {
		if c >= 0x80 {
			return -2
		}
	}
	for i := range n.fields {
		if foldEqual(key, n.fields[i].lower) {
			return i
		}
	}
	return -1
}

// foldEqual reports whether key equals lower, a name in lower case, with
// ASCII case folded.
func foldEqual(key []byte, lower string) bool {
	if len(key) != len(lower) {
		return false
	}
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func decodeInt(data []byte, i int, p unsafe.Pointer, size uintptr) int {
	neg := data[i] == '-'
	j := i
	if neg {
		j++
	}
	u, end := digits(data, j)
	if end < 0 {
		return -1
	}
	limit := uint64(1)<<(size*8-1) - 1
	if neg {
		limit++
	}
	if u > limit {
		return -1
	}
	if neg {
		u = -u // two's complement: the low size bytes are the int's
	}
	store(p, size, u)
	return end
}

func decodeUint(data []byte, i int, p unsafe.Pointer, size uintptr) int {
	u, end := digits(data, i)
	if end < 0 || size < 8 && u >= 1<<(size*8) {
		return -1
	}
	store(p, size, u)
	return end
}

// store writes the low size bytes of u at p: an integer of that size.
func store(p unsafe.Pointer, size uintptr, u uint64) {
	switch size {
	case 1:
		*(*uint8)(p) = uint8(u)
	case 2:
		*(*uint16)(p) = uint16(u)
	case 4:
		*(*uint32)(p) = uint32(u)
	default:
		*(*uint64)(p) = u
	}
}

// load reads the integer of size bytes at p, zero-extended.
func load(p unsafe.Pointer, size uintptr) uint64 {
	switch size {
	case 1:
		return uint64(*(*uint8)(p))
	case 2:
		return uint64(*(*uint16)(p))
	case 4:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

// digits reads the digits of a JSON integer at data[i] (no sign): no
// leading zero, no fraction or exponent after them, at most
// math.MaxUint64. It returns the value and the index after the digits, -1
// when they are not such an integer.
func digits(data []byte, i int) (uint64, int) {
	j := i
	var u uint64
	for ; j < len(data) && '0' <= data[j] && data[j] <= '9'; j++ {
		d := uint64(data[j] - '0')
		if u > (math.MaxUint64-d)/10 {
			return 0, -1
		}
		u = u*10 + d
	}
	switch {
	case j == i, j-i > 1 && data[i] == '0':
		return 0, -1
	case j < len(data) && (data[j] == '.' || data[j] == 'e' || data[j] == 'E'):
		return 0, -1
	}
	return u, j
}

// numberEnd returns the index after the JSON number at data[i], -1 when
// there is none: strconv takes forms JSON does not ("Inf", "0x1p3", "1_0").
func numberEnd(data []byte, i int) int {
	j := i
	if j < len(data) && data[j] == '-' {
		j++
	}
	switch {
	case j < len(data) && data[j] == '0':
		j++
	case j < len(data) && '1' <= data[j] && data[j] <= '9':
		j = skipDigits(data, j)
	default:
		return -1
	}
	if j < len(data) && data[j] == '.' {
		k := skipDigits(data, j+1)
		if k == j+1 {
			return -1
		}
		j = k
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		k := skipDigits(data, j)
		if k == j {
			return -1
		}
		j = k
	}
	return j
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

func literal(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}
