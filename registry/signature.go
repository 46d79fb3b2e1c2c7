package registry

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

var (
	contextType         = reflect.TypeOf((*context.Context)(nil)).Elem()
	errorType           = reflect.TypeOf((*error)(nil)).Elem()
	jsonMarshalerType   = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textMarshalerType   = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// direction says whether a type must decode from JSON (a parameter) or encode
// to it (a result).
type direction int

const (
	decode direction = iota
	encode
)

// checkSignature validates a service func type and reports whether it takes
// a leading context and returns a trailing error.
func checkSignature(t reflect.Type) (hasCtx, hasErr bool, err error) {
	if t.Kind() != reflect.Func {
		return false, false, fmt.Errorf("service must be a func, got %v", t)
	}
	return checkFunc(t, decode, encode)
}

// checkFunc checks the parameters of func type t in direction in (after an
// optional leading context) and its results in direction out (but for an
// optional trailing error): the one checker of both ends, a service's
// parameters decoding and a consumer's encoding.
func checkFunc(t reflect.Type, in, out direction) (hasCtx, hasErr bool, err error) {
	for i := 0; i < t.NumIn(); i++ {
		p := t.In(i)
		if p == contextType {
			if i != 0 {
				return false, false, fmt.Errorf("parameter %d is a context.Context: it may only be the first parameter", i)
			}
			hasCtx = true
			continue
		}
		if t.IsVariadic() && i == t.NumIn()-1 {
			p = p.Elem()
		} else if kind, item := streamOf(p); kind != noStream {
			// A stream argument: the caller produces it while the
			// service consumes it (stream.go).
			if err := checkBoth(item); err != nil {
				return false, false, fmt.Errorf("parameter %d (%v): items: %v", i, p, err)
			}
			continue
		} else if p.Kind() == reflect.Func {
			if err := checkCallback(p); err != nil {
				return false, false, fmt.Errorf("parameter %d (%v): %v", i, p, err)
			}
			continue
		}
		if err := checkType(p, in); err != nil {
			return false, false, fmt.Errorf("parameter %d (%v): %v", i, t.In(i), err)
		}
	}
	for i := 0; i < t.NumOut(); i++ {
		r := t.Out(i)
		if r == errorType {
			if i != t.NumOut()-1 {
				return false, false, fmt.Errorf("result %d is an error: it may only be the last result", i)
			}
			hasErr = true
			continue
		}
		if kind, item := streamOf(r); kind != noStream {
			if err := checkStream(t, i, item, out); err != nil {
				return false, false, err
			}
			continue
		}
		if err := checkType(r, out); err != nil {
			return false, false, fmt.Errorf("result %d (%v): %v", i, r, err)
		}
	}
	return hasCtx, hasErr, nil
}

// checkType reports why t cannot cross the wire in direction d, naming the
// offending type and where it sits inside t.
func checkType(t reflect.Type, d direction) error {
	return typeChecker{d: d, seen: map[reflect.Type]bool{}}.check(t, "")
}

type typeChecker struct {
	d    direction
	seen map[reflect.Type]bool
}

func (c typeChecker) check(t reflect.Type, path string) error {
	if c.seen[t] {
		return nil
	}
	c.seen[t] = true
	if c.custom(t) {
		return nil
	}
	where := func() string {
		if path == "" {
			return ""
		}
		return " at " + path
	}
	switch t.Kind() {
	case reflect.Chan:
		return fmt.Errorf("channel type %v%s cannot cross the wire", t, where())
	case reflect.Func:
		return fmt.Errorf("func type %v%s cannot cross the wire", t, where())
	case reflect.UnsafePointer:
		return fmt.Errorf("unsafe.Pointer%s cannot cross the wire", where())
	case reflect.Complex64, reflect.Complex128:
		return fmt.Errorf("complex type %v%s has no JSON form", t, where())
	case reflect.Interface:
		if c.d == decode && t.NumMethod() > 0 {
			return fmt.Errorf("interface type %v%s cannot be decoded from JSON; use a concrete type", t, where())
		}
	case reflect.Pointer:
		return c.check(t.Elem(), path) // a selector goes through pointers
	case reflect.Slice, reflect.Array:
		return c.check(t.Elem(), path+"[elem]")
	case reflect.Map:
		if err := c.checkKey(t.Key()); err != nil {
			return fmt.Errorf("map type %v%s: %v", t, where(), err)
		}
		return c.check(t.Elem(), path+"[value]")
	case reflect.Struct:
		return c.checkFields(t, path)
	}
	return nil
}

// custom reports whether t handles its own JSON form in direction d.
func (c typeChecker) custom(t reflect.Type) bool {
	if c.d == encode {
		return t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType)
	}
	p := reflect.PointerTo(t)
	return p.Implements(jsonUnmarshalerType) || p.Implements(textUnmarshalerType)
}

func (c typeChecker) checkKey(k reflect.Type) error {
	switch k.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return nil
	}
	if c.d == encode && k.Implements(textMarshalerType) ||
		c.d == decode && reflect.PointerTo(k).Implements(textUnmarshalerType) {
		return nil
	}
	return fmt.Errorf("key type %v is not a string, an integer or a TextMarshaler", k)
}

func (c typeChecker) checkFields(t reflect.Type, path string) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if ignoredField(f) {
			continue
		}
		name := f.Name
		switch {
		case path != "":
			name = path + "." + f.Name
		case t.Name() != "":
			name = t.Name() + "." + f.Name
		}
		if err := c.check(f.Type, name); err != nil {
			return err
		}
	}
	return nil
}

// ignoredField reports whether the codec leaves f out, as encoding/json
// does: a field tagged "-", and an unexported field unless it embeds a
// struct (or a pointer to one) whose exported fields it promotes.
func ignoredField(f reflect.StructField) bool {
	tag := f.Tag.Get("json")
	switch {
	case tag == "-":
		return true
	case f.IsExported():
		return false
	case !f.Anonymous:
		return true
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return true // a named unexported field
	}
	t := f.Type
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() != reflect.Struct
}

// CheckConsumer validates the type of a consumer func, the calling side of
// a service (package service's GetService): an optional leading
// context.Context, parameters that encode to JSON, results that decode
// from it, and error as its last result. It is the checker services are
// registered with, turned around: both ends of a call agree on what can
// cross the wire. It reports whether t takes a leading context.
func CheckConsumer(t reflect.Type) (hasCtx bool, err error) {
	if t.Kind() != reflect.Func {
		return false, fmt.Errorf("want a func, got %v", t)
	}
	if t.NumOut() == 0 || t.Out(t.NumOut()-1) != errorType {
		return false, fmt.Errorf("%v must return error as its last result", t)
	}
	hasCtx, _, err = checkFunc(t, encode, decode)
	return hasCtx, err
}

// checkCallback checks the type of a func parameter: a callback, which the
// service calls and the caller runs (PROTOCOL.md section 6). It has a
// consumer's shape, an optional leading context and error as its last
// result, and since its values cross both ways its other parameters and
// results must both encode and decode. A callback cannot take funcs itself,
// nor be variadic.
func checkCallback(t reflect.Type) error {
	if t.NumOut() == 0 || t.Out(t.NumOut()-1) != errorType {
		return fmt.Errorf("a callback must return error as its last result, to report a call that could not be made")
	}
	if t.IsVariadic() {
		return fmt.Errorf("a callback cannot be variadic")
	}
	for i := 0; i < t.NumIn(); i++ {
		p := t.In(i)
		if p == contextType && i == 0 {
			continue
		}
		if err := checkBoth(p); err != nil {
			return fmt.Errorf("callback parameter %d (%v): %v", i, p, err)
		}
	}
	for i := 0; i < t.NumOut()-1; i++ {
		if err := checkBoth(t.Out(i)); err != nil {
			return fmt.Errorf("callback result %d (%v): %v", i, t.Out(i), err)
		}
	}
	return nil
}

// checkBoth checks that t encodes to JSON and decodes from it.
func checkBoth(t reflect.Type) error {
	if t == contextType {
		return fmt.Errorf("a context.Context may only be the first parameter")
	}
	if err := checkType(t, encode); err != nil {
		return err
	}
	return checkType(t, decode)
}
