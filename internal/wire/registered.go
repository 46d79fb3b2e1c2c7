package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// A registeredError is an error the user gave a code of its own
// (registry.RegisterError): a value matched with errors.Is, or a type
// matched with errors.As whose exported fields travel as the response's
// detail (PROTOCOL.md section 6, "registered errors").
type registeredError struct {
	code string
	err  error
	typ  reflect.Type // err's type when it is matched as a type, else nil
}

// registeredErrors is the process's table, filled in init functions, read
// on every failed call.
var registeredErrors struct {
	sync.RWMutex
	list   []*registeredError // in registration order, the order Classify tries them
	byCode map[string]*registeredError
}

// RegisterError gives err the code under which it crosses a connection;
// both ends register the same pairs. It is the body of
// registry.RegisterError, which panics with the error returned here.
// Registering the same pair twice is allowed.
func RegisterError(code string, err error) error {
	if err == nil {
		return fmt.Errorf("RegisterError(%q): the error is nil", code)
	}
	if problem := checkCode(code); problem != "" {
		return fmt.Errorf("RegisterError(%q, %v): the code %s", code, err, problem)
	}
	r := &registeredError{code: code, err: err, typ: fieldsType(err)}
	registeredErrors.Lock()
	defer registeredErrors.Unlock()
	if old := registeredErrors.byCode[code]; old != nil {
		if old.same(r) {
			return nil
		}
		return fmt.Errorf("RegisterError(%q, %v): the code is already registered for %v (%T)", code, err, old.err, old.err)
	}
	for _, old := range registeredErrors.list {
		if old.same(r) {
			return fmt.Errorf("RegisterError(%q, %v): that error is already registered as %q", code, err, old.code)
		}
	}
	if registeredErrors.byCode == nil {
		registeredErrors.byCode = make(map[string]*registeredError)
	}
	registeredErrors.byCode[code] = r
	registeredErrors.list = append(registeredErrors.list, r)
	return nil
}

// same reports whether r and s register the same error: the same type, for
// errors matched as types, else the same value.
func (r *registeredError) same(s *registeredError) bool {
	if r.typ != nil || s.typ != nil {
		return r.typ == s.typ
	}
	return r.err == s.err
}

// checkCode returns what is wrong with a code to register, "" if nothing:
// it must be new (not one of section 4's), short, printable ASCII without
// spaces or quotes, so that it reads the same in any language, and dotted,
// so that a receiver can tell it from a code of a later protocol version.
func checkCode(code string) string {
	switch {
	case code == "":
		return "is empty"
	case Sentinel(code) != nil:
		return "is one of the protocol's own codes"
	case len(code) > 128:
		return "is longer than 128 bytes"
	case !registeredCode(code):
		return "has no dot: registered codes are a contract's prefix, a dot and a name (\"kv.not_found\")"
	}
	for i := 0; i < len(code); i++ {
		if b := code[i]; b <= ' ' || b >= 0x7f || b == '"' || b == '\\' {
			return fmt.Sprintf("has %q at byte %d (letters, digits and punctuation only)", b, i)
		}
	}
	return ""
}

// fieldsType returns err's type when err is registered as a type: a struct,
// or a pointer to one, with exported fields to carry. An error without
// fields (errors.New's, a sentinel of a type of its own) is registered as
// a value.
func fieldsType(err error) reflect.Type {
	t := reflect.TypeOf(err)
	s := t
	if s.Kind() == reflect.Pointer {
		s = s.Elem()
	}
	if s.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i < s.NumField(); i++ {
		if s.Field(i).IsExported() {
			return t
		}
	}
	return nil
}

// registered returns the registration of code, nil if there is none.
func registered(code string) *registeredError {
	registeredErrors.RLock()
	defer registeredErrors.RUnlock()
	return registeredErrors.byCode[code]
}

// Classify returns the code that reports err to the peer and, for an error
// registered as a type, its fields as JSON (nil when they cannot be
// encoded: the peer then gets the type's zero value). Registered errors
// come first, in registration order, then CodeOf's rules.
func Classify(err error) (code string, detail json.RawMessage) {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code, e.Detail // a peer's error passed on keeps its identity
	}
	registeredErrors.RLock()
	list := registeredErrors.list
	registeredErrors.RUnlock()
	for _, r := range list {
		if r.typ == nil {
			if errors.Is(err, r.err) {
				return r.code, nil
			}
			continue
		}
		target := reflect.New(r.typ)
		if errors.As(err, target.Interface()) {
			detail, jerr := json.Marshal(target.Elem().Interface())
			if jerr != nil {
				detail = nil
			}
			return r.code, detail
		}
	}
	return CodeOf(err), nil
}

// value returns the Go error a peer's error with this registration's code
// stands for: the registered value, or a new value of the registered type
// filled from detail. Fields detail cannot fill keep their zero values.
func (r *registeredError) value(detail json.RawMessage) error {
	if r.typ == nil {
		return r.err
	}
	t := r.typ
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if len(detail) > 0 {
			_ = json.Unmarshal(detail, p.Interface()) // best effort: the code already says what it is
		}
		return p.Interface().(error)
	}
	p := reflect.New(t)
	if len(detail) > 0 {
		_ = json.Unmarshal(detail, p.Interface())
	}
	return p.Elem().Interface().(error)
}

// builtinCode reports whether code is one of section 4's.
func builtinCode(code string) bool { return Sentinel(code) != nil }

// registeredCode reports whether code has the form of a registered error's
// code: a dot with something on each side. The protocol's own codes never
// have one.
func registeredCode(code string) bool {
	i := strings.IndexByte(code, '.')
	return i > 0 && i < len(code)-1
}
