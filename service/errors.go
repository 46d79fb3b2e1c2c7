package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/hostcall/hostcall/internal/wire"
)

// Sentinel errors. Errors from calls wrap one of them, so errors.Is works
// whether the failure happened here or in the host.
var (
	// ErrNotHosted: the plugin was started without --host-file.
	ErrNotHosted = errors.New("not hosted: the plugin was started without --host-file")
	// ErrClosed: the connection to the host has ended.
	ErrClosed = errors.New("connection to the host closed")
	// ErrUnknownNamespace: the host has no such namespace.
	ErrUnknownNamespace = errors.New("unknown namespace")
	// ErrUnknownService: the namespace has no such service.
	ErrUnknownService = errors.New("unknown service")
	// ErrBadArguments: the arguments do not fit the service's parameters.
	ErrBadArguments = errors.New("bad arguments")
	// ErrBadRequest: the host did not understand the request.
	ErrBadRequest = errors.New("bad request")
	// ErrServiceError: the service returned an error.
	ErrServiceError = errors.New("service error")
	// ErrServicePanic: the service panicked (the host recovered).
	ErrServicePanic = errors.New("service panicked")
	// ErrTooLarge: a request or result exceeded the frame size limit.
	ErrTooLarge = errors.New("frame too large")
	// ErrCanceled: the call was canceled.
	ErrCanceled = errors.New("call canceled")
	// ErrDeadlineExceeded: the call's deadline passed.
	ErrDeadlineExceeded = errors.New("call deadline exceeded")
	// ErrUnavailable: the host is shutting down.
	ErrUnavailable = errors.New("host unavailable")
	// ErrBadReply: the host's reply does not fit the consumer func's results.
	ErrBadReply = errors.New("bad reply")
)

var codeSentinels = map[string]error{
	wire.CodeUnknownNamespace: ErrUnknownNamespace,
	wire.CodeUnknownService:   ErrUnknownService,
	wire.CodeBadRequest:       ErrBadRequest,
	wire.CodeBadArguments:     ErrBadArguments,
	wire.CodeServiceError:     ErrServiceError,
	wire.CodePanic:            ErrServicePanic,
	wire.CodeCanceled:         ErrCanceled,
	wire.CodeDeadlineExceeded: ErrDeadlineExceeded,
	wire.CodeTooLarge:         ErrTooLarge,
	wire.CodeUnavailable:      ErrUnavailable,
}

// RemoteError is a failure reported by the host. Code is the protocol 2
// error code, empty from a protocol 1 host; Message is the host's message,
// for a service's own error exactly what its Error method returned.
type RemoteError struct {
	Code      string
	Namespace string
	Name      string
	Message   string
}

func (e *RemoteError) Error() string {
	what := e.Namespace
	if e.Name != "" {
		what += "." + e.Name
	}
	if strings.Contains(e.Message, what) {
		return e.Message // the host's message names the service already
	}
	return fmt.Sprintf("service %s: %s", what, e.Message)
}

// Is matches the sentinel of e's code, so that errors.Is(err,
// ErrUnknownService) holds for a host's unknown_service. The codes
// deadline_exceeded and canceled also match context.DeadlineExceeded and
// context.Canceled: a call whose timeout expired in the host failed because
// the caller's deadline passed, whichever end noticed first.
func (e *RemoteError) Is(target error) bool {
	switch e.Code {
	case wire.CodeDeadlineExceeded:
		if target == context.DeadlineExceeded {
			return true
		}
	case wire.CodeCanceled:
		if target == context.Canceled {
			return true
		}
	}
	s, ok := codeSentinels[e.Code]
	return ok && s == target
}

// closedError turns the error that ended a connection into one that matches
// ErrClosed, keeping the cause: EOF, a broken or closed pipe and a reset
// connection all mean the host went away.
func closedError(cause error) error {
	switch {
	case cause == nil:
		return ErrClosed
	case errors.Is(cause, ErrClosed), errors.Is(cause, ErrNotHosted):
		return cause
	case errors.Is(cause, io.EOF), errors.Is(cause, io.ErrUnexpectedEOF),
		errors.Is(cause, syscall.EPIPE), errors.Is(cause, syscall.ECONNRESET),
		errors.Is(cause, os.ErrClosed), errors.Is(cause, io.ErrClosedPipe),
		errors.Is(cause, net.ErrClosed), errors.Is(cause, wire.ErrWriterClosed):
		return fmt.Errorf("%w (%v)", ErrClosed, cause)
	}
	return fmt.Errorf("%w: %w", ErrClosed, cause)
}

// contextError reports a call abandoned because its context ended.
func contextError(what string, seq uint64, err error) error {
	s := ErrCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		s = ErrDeadlineExceeded
	}
	return fmt.Errorf("service %s: call %d abandoned: %w (%w)", what, seq, err, s)
}
