package registry

import (
	"errors"
	"fmt"
)

// Errors returned by Lookup and Service.Invoke, matched with errors.Is.
var (
	ErrUnknownNamespace = errors.New("undefined namespace")
	ErrUnknownService   = errors.New("undefined service")
	ErrBadArguments     = errors.New("bad arguments")
	ErrPanic            = errors.New("service panicked")
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
	return fmt.Sprintf("service %s panicked: %v", e.Service, e.Value)
}

// Is matches ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }
