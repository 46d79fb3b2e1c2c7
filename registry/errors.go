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
