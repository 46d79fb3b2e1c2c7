package wire

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// The sentinel of each error code of PROTOCOL.md section 4. They are the
// one vocabulary of failures: the registry returns errors wrapping them,
// the engine answers with their codes, and a peer's coded error (an
// *Error) matches them with errors.Is. Package service re-exports them.
var (
	ErrUnknownNamespace = errors.New("unknown namespace")
	ErrUnknownService   = errors.New("unknown service")
	ErrBadRequest       = errors.New("bad request")
	ErrBadArguments     = errors.New("bad arguments")
	ErrServiceError     = errors.New("service error")
	ErrPanic            = errors.New("service panicked")
	ErrCanceled         = errors.New("call canceled")
	ErrDeadlineExceeded = errors.New("call deadline exceeded")
	ErrTooLarge         = errors.New("frame too large")
	ErrUnavailable      = errors.New("peer unavailable")
)

// ErrBadReply: the peer's reply does not fit what the caller expects. It
// has no code: the caller finds it, the peer never sends it.
var ErrBadReply = errors.New("bad reply")

// codes pairs each code with its sentinel, in the order CodeOf tries them.
var codes = []struct {
	code string
	err  error
}{
	{CodeUnknownNamespace, ErrUnknownNamespace},
	{CodeUnknownService, ErrUnknownService},
	{CodeBadRequest, ErrBadRequest},
	{CodeBadArguments, ErrBadArguments},
	{CodePanic, ErrPanic},
	{CodeTooLarge, ErrTooLarge},
	{CodeUnavailable, ErrUnavailable},
	{CodeDeadlineExceeded, ErrDeadlineExceeded},
	{CodeCanceled, ErrCanceled},
	{CodeServiceError, ErrServiceError},
}

// Sentinel returns the sentinel of code, nil for an unknown or empty code.
func Sentinel(code string) error {
	for _, c := range codes {
		if c.code == code {
			return c.err
		}
	}
	return nil
}

// CodeOf returns the code that reports err to the peer: the code of the
// first sentinel err matches, the context errors as canceled and
// deadline_exceeded, and service_error for anything else (a service's own
// error).
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeServiceError
}

// Error is a failure that travels in a response, as the receiver sees it:
// the code of PROTOCOL.md section 4 (empty from a protocol 1 peer), the
// call it answers and the peer's message, for a service's own error exactly
// what its Error method returned. It is the Go form of the wire's error
// and package service's RemoteError.
//
// A code registered with registry.RegisterError stands for the registered
// error: Unwrap returns it (the registered value, or a value of the
// registered type filled from Detail), so errors.Is and errors.As see it
// while Error still reads the service's whole message.
type Error struct {
	Code      string
	Namespace string
	Name      string
	Message   string
	// Detail is the JSON of a registered error type's fields, as the
	// service's error carried them; nil for every other error.
	Detail json.RawMessage
}

// Error names the call once, then the peer's message.
func (e *Error) Error() string {
	what := e.Namespace
	if e.Name != "" {
		what += "." + e.Name
	}
	if what == "" {
		return e.Message
	}
	switch {
	case strings.HasPrefix(e.Message, what+": "):
		return "service " + e.Message // the peer named the call, in this style
	case strings.Contains(e.Message, what):
		return e.Message // the peer named it its own way (protocol 1 hosts)
	}
	return "service " + what + ": " + e.Message
}

// Is matches the sentinel of e's code, so that errors.Is(err,
// ErrUnknownService) holds for a peer's unknown_service. The codes
// deadline_exceeded and canceled also match context.DeadlineExceeded and
// context.Canceled: a call whose timeout expired at the peer failed because
// the caller's deadline passed, whichever end noticed first.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case CodeDeadlineExceeded:
		if target == context.DeadlineExceeded {
			return true
		}
	case CodeCanceled:
		if target == context.Canceled {
			return true
		}
	}
	if s := Sentinel(e.Code); s != nil {
		return s == target
	}
	// A registered code is a service's own error, registered under it at
	// least at the peer.
	return target == ErrServiceError && registeredCode(e.Code)
}

// Unwrap returns the error registered under e's code (RegisterError), nil
// when the code is not registered in this process.
func (e *Error) Unwrap() error {
	if e.Code == "" || builtinCode(e.Code) {
		return nil
	}
	r := registered(e.Code)
	if r == nil {
		return nil
	}
	return r.value(e.Detail)
}
