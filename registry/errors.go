package registry

import (
	"errors"
	"fmt"

	"github.com/hostcall/hostcall/internal/wire"
)

// Errors returned by Lookup and Service.Invoke, matched with errors.Is.
// The first four are the sentinels of their wire codes, the same values as
// package service's: an error matches them at either end of a connection.
var (
	ErrUnknownNamespace = wire.ErrUnknownNamespace
	ErrUnknownService   = wire.ErrUnknownService
	ErrBadArguments     = wire.ErrBadArguments
	ErrPanic            = wire.ErrPanic
	ErrResult           = errors.New("result cannot be encoded")
)

// ServiceError carries the error a service returned.
type ServiceError struct {
	Service string // "namespace.name"
	Err     error

	msg string // Err.Error(), taken by Invoke where a panic is recovered
}

// Error returns the message of the service's error, unchanged.
func (e *ServiceError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.Err.Error()
}

func (e *ServiceError) Unwrap() error { return e.Err }

// PanicError reports a service that panicked. Invoke recovers the panic so
// that the host keeps serving.
type PanicError struct {
	Service string
	Value   any
	Stack   []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s: service panicked: %v", e.Service, e.Value)
}

// Is matches ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// RegisterError gives err a code of its own under which it crosses a
// connection, so that the calling end gets its identity back. Both ends
// register the same pairs, typically in the init function of a contract
// package they share:
//
//	var ErrNotFound = errors.New("not found")
//
//	func init() { registry.RegisterError("kv.not_found", ErrNotFound) }
//
// A service whose error matches ErrNotFound (errors.Is: returned, or
// wrapped with %w) is answered with code "kv.not_found" and its whole
// message; at the caller, errors.Is(err, ErrNotFound) holds and err.Error()
// is the service's message, named after the call.
//
// An error whose type is a struct, or a pointer to one, with exported
// fields is registered as a type: any error of that type (errors.As)
// crosses with the code and its exported fields as JSON, and errors.As at
// the caller fills a value of the type. Register such types with a value
// of the type the service returns (&ConflictError{} for a service that
// returns a *ConflictError).
//
// Errors are tried in registration order; unregistered errors cross as
// service_error with their message. Codes are printable ASCII without
// spaces or quotes, at most 128 bytes, with a dot: a prefix naming the
// contract, a dot, a name ("kv.not_found"). At the caller, a registered
// error matches ErrServiceError too. RegisterError panics on misuse: a nil
// error, a bad code, a code already registered for another error or an
// error already registered under another code. Registering the same pair
// again does nothing.
func RegisterError(code string, err error) {
	if e := wire.RegisterError(code, err); e != nil {
		panic("registry." + e.Error())
	}
}
