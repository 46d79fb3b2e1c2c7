package registry

import (
	"bytes"
	"encoding/json"
	"reflect"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"

	"github.com/hostcall/hostcall/internal/jsonfast"
)

// resultCodec encodes the results of services. It is wire.JSON without the
// codec's check of json.RawMessage, which writes null in place of a message
// that the codec cannot read, silently: an invalid one, but also a valid one
// such as a number out of float64's range. Types that hold raw JSON are
// checked and cleaned by encodeResults instead (see cleanJSON); other types
// encode as with wire.JSON.
var resultCodec = jsoniter.Config{EscapeHTML: true, SortMapKeys: true}.Froze()

// resultEncoders write results as resultCodec does, faster, for the types
// they take (package jsonfast).
var resultEncoders = jsonfast.NewEncoders(resultCodec)

// Types the codec writes out verbatim, without checking that they hold JSON.
var rawJSONTypes = map[reflect.Type]bool{
	reflect.TypeOf(json.RawMessage(nil)):     true,
	reflect.TypeOf(json.Number("")):          true,
	reflect.TypeOf(jsoniter.RawMessage(nil)): true,
	reflect.TypeOf(jsoniter.Number("")):      true,
}

// writesRawJSON reports whether encoding a value of type t may copy bytes
// into the output that the codec does not check: MarshalJSON's output,
// json.RawMessage and json.Number. encoding/json validates these; the
// codec does not, and a result that is not JSON would corrupt the response
// frame, so Invoke checks the encoding of such results. An interface may
// hold any of them.
func writesRawJSON(t reflect.Type) bool {
	return rawWalker{}.walk(t)
}

type rawWalker map[reflect.Type]bool

func (w rawWalker) walk(t reflect.Type) bool {
	if w[t] {
		return false // being walked further up, or already found clean
	}
	w[t] = true
	switch {
	case rawJSONTypes[t], t.Kind() == reflect.Interface,
		t.Implements(jsonMarshalerType), reflect.PointerTo(t).Implements(jsonMarshalerType):
		return true
	case t.Implements(textMarshalerType):
		return false // encoded as a JSON string
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return w.walk(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); !ignoredField(f) && w.walk(f.Type) {
				return true
			}
		}
	}
	return false
}

// cleanJSON checks raw, the encoding of a value that may hold raw JSON
// (see writesRawJSON), and makes it fit in a frame (PROTOCOL.md section 2):
// compact, so without a raw newline, and UTF-8, invalid bytes in strings
// replaced by U+FFFD as encoding/json does when it encodes a string. It
// returns raw itself when it is already so, and ok false when raw is not
// one JSON value.
func cleanJSON(raw []byte) (clean []byte, ok bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	if isCompact(raw) && utf8.Valid(raw) {
		return raw, true
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if json.Compact(&buf, raw) != nil {
		return nil, false
	}
	clean = buf.Bytes()
	if utf8.Valid(clean) {
		return clean, true
	}
	// The JSON is valid, so bytes outside ASCII are inside strings.
	out := make([]byte, 0, len(clean)+16)
	for i := 0; i < len(clean); {
		r, n := utf8.DecodeRune(clean[i:])
		if r == utf8.RuneError && n == 1 {
			out = append(out, `\ufffd`...)
		} else {
			out = append(out, clean[i:i+n]...)
		}
		i += n
	}
	return out, true
}

// isCompact reports whether the valid JSON b has no whitespace outside its
// strings.
func isCompact(b []byte) bool {
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if in {
			switch c {
			case '\\':
				i++
			case '"':
				in = false
			}
			continue
		}
		switch c {
		case '"':
			in = true
		case ' ', '\t', '\n', '\r':
			return false
		}
	}
	return true
}
