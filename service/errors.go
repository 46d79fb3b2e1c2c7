package service

import (
	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/internal/wire"
)

// Sentinel errors. Errors from calls wrap one of them, so errors.Is works
// whether the failure happened here or in the host. They are the same
// values as package registry's: one vocabulary at both ends.
var (
	// ErrNotHosted: the plugin was started without --host-file.
	ErrNotHosted = engine.ErrNotHosted
	// ErrClosed: the connection to the host has ended.
	ErrClosed = engine.ErrClosed
	// ErrUnknownNamespace: the host has no such namespace.
	ErrUnknownNamespace = wire.ErrUnknownNamespace
	// ErrUnknownService: the namespace has no such service.
	ErrUnknownService = wire.ErrUnknownService
	// ErrBadArguments: the arguments do not fit the service's parameters.
	ErrBadArguments = wire.ErrBadArguments
	// ErrBadRequest: the host did not understand the request.
	ErrBadRequest = wire.ErrBadRequest
	// ErrServiceError: the service returned an error.
	ErrServiceError = wire.ErrServiceError
	// ErrServicePanic: the service panicked (the host recovered).
	ErrServicePanic = wire.ErrPanic
	// ErrTooLarge: a request or result exceeded the frame size limit.
	ErrTooLarge = wire.ErrTooLarge
	// ErrCanceled: the call was canceled.
	ErrCanceled = wire.ErrCanceled
	// ErrDeadlineExceeded: the call's deadline passed.
	ErrDeadlineExceeded = wire.ErrDeadlineExceeded
	// ErrUnavailable: the host is shutting down.
	ErrUnavailable = wire.ErrUnavailable
	// ErrBadReply: the host's reply does not fit the consumer func's results.
	ErrBadReply = engine.ErrBadReply
)

// RemoteError is a failure reported by the host. Code is the protocol 2
// error code, empty from a protocol 1 host; Message is the host's message,
// for a service's own error exactly what its Error method returned.
//
// Its Is method matches the sentinel of its code, so that errors.Is(err,
// ErrUnknownService) holds for a host's unknown_service. The codes
// deadline_exceeded and canceled also match context.DeadlineExceeded and
// context.Canceled: a call whose timeout expired in the host failed because
// the caller's deadline passed, whichever end noticed first.
type RemoteError = wire.Error
