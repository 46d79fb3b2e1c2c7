package registry

import (
	"encoding/json"
	"reflect"

	jsoniter "github.com/json-iterator/go"
)

// The two forms of a variadic service's arguments (PROTOCOL.md section 3).
// Spread, one element per argument, is what protocol 2 clients send:
// sum(1,2,3) travels as [1,2,3]. The reference protocol 1 Go client sends
// the variadic slice as one element instead, as encoding/json writes it:
// [[1,2,3]], and [null] for a call with no variadic arguments (a nil
// slice).
//
// The host reads the element after the fixed arguments as the variadic
// slice when it is the last element and the variadic element type can
// never be confused with it:
//
//   - a JSON array, when that type never travels as an array: after
//     pointers, a bool, a number, a string, a struct or a map, without
//     MarshalJSON or UnmarshalJSON of its own (neverArray);
//   - null, the empty slice, when it never travels as null either: such a
//     type that is not a pointer or a map (neverNull).
//
// Every other variadic element type (slices, []byte among them, arrays,
// interfaces, json.RawMessage, types with their own JSON methods) takes
// the spread form only: there [[1,2]] is one argument.

// neverArray reports whether no value of t encodes to a JSON array and no
// JSON array decodes into one.
func neverArray(t reflect.Type) bool {
	for {
		if ownJSON(t) {
			return false
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Struct, reflect.Map,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// neverNull reports whether t, of which neverArray holds, never encodes to
// null: null can only be the nil variadic slice.
func neverNull(t reflect.Type) bool {
	return t.Kind() != reflect.Pointer && t.Kind() != reflect.Map
}

// ownJSON reports whether t, or a pointer to it, has a JSON method.
func ownJSON(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshalerType) || t.Implements(jsonUnmarshalerType) ||
		p.Implements(jsonMarshalerType) || p.Implements(jsonUnmarshalerType)
}

// prepareVariadic decides, once, which forms the variadic arguments of s
// may take.
func (s *Service) prepareVariadic() {
	if !s.variadic {
		return
	}
	elem := s.params[len(s.params)-1].typ
	s.sliceArg = neverArray(elem)
	s.nilSlice = s.sliceArg && neverNull(elem)
}

// decodeSlice decodes the JSON array at iter, the variadic slice as one
// element, into the variadic arguments, each numbered from the first
// variadic one. As in decodeArg, an error is final and a value the codec
// refuses sets iter.Error.
func (s *Service) decodeSlice(iter *jsoniter.Iterator, in []reflect.Value) ([]reflect.Value, error) {
	k := len(s.params) - 1
	p := s.params[k]
	for i := k; iter.ReadArray(); i++ {
		v, err := s.decodeArg(iter, p, i, nil)
		if err != nil || iter.Error != nil {
			return in, err
		}
		in = append(in, v)
	}
	return in, nil
}

// decodeSliceElem is decodeSlice with encoding/json, for decodeRest.
func (s *Service) decodeSliceElem(elem []byte, in []reflect.Value) ([]reflect.Value, error) {
	k := len(s.params) - 1
	var elems []json.RawMessage
	if err := json.Unmarshal(elem, &elems); err != nil {
		return nil, s.badArgs("argument %d (variadic []%v): %v", k, s.params[k].typ, err)
	}
	for j, e := range elems {
		v, err := s.decodeElem(e, s.params[k], k+j, nil)
		if err != nil {
			return nil, err
		}
		in = append(in, v)
	}
	return in, nil
}

// notLast is the error for a variadic slice sent as one element that is
// not the last element.
func (s *Service) notLast(k int) error {
	return s.badArgs("argument %d (%v) is a JSON array: only the last element may hold the variadic arguments as one array", k, s.params[k].typ)
}

// asOne returns the form of the argument at iter, the n-th: jsoniter's
// ArrayValue or NilValue when it is the variadic slice as one element (if
// it is the last), InvalidValue when it is an argument.
func (s *Service) asOne(iter *jsoniter.Iterator, n int) jsoniter.ValueType {
	if !s.sliceArg || n != len(s.params)-1 {
		return jsoniter.InvalidValue
	}
	switch next := iter.WhatIsNext(); {
	case next == jsoniter.ArrayValue, next == jsoniter.NilValue && s.nilSlice:
		return next
	}
	return jsoniter.InvalidValue
}

// asOneElem is asOne for the element elem, for decodeRest.
func (s *Service) asOneElem(elem []byte, n int) jsoniter.ValueType {
	if !s.sliceArg || n != len(s.params)-1 || len(elem) == 0 {
		return jsoniter.InvalidValue
	}
	switch {
	case elem[0] == '[':
		return jsoniter.ArrayValue
	case elem[0] == 'n' && s.nilSlice:
		return jsoniter.NilValue
	}
	return jsoniter.InvalidValue
}
