package registry

import (
	"encoding/json"
	"reflect"

	jsoniter "github.com/json-iterator/go"
)

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
