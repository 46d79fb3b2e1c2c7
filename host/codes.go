package host

import (
	"context"
	"errors"

	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/registry"
)

// codeOf classifies an error of a lookup or a call for the response's code.
func codeOf(err error) string {
	switch {
	case errors.Is(err, registry.ErrUnknownNamespace):
		return wire.CodeUnknownNamespace
	case errors.Is(err, registry.ErrUnknownService):
		return wire.CodeUnknownService
	case errors.Is(err, registry.ErrBadArguments):
		return wire.CodeBadArguments
	case errors.Is(err, registry.ErrPanic):
		return wire.CodePanic
	case errors.Is(err, context.DeadlineExceeded):
		return wire.CodeDeadlineExceeded
	case errors.Is(err, context.Canceled):
		return wire.CodeCanceled
	}
	return wire.CodeServiceError // a *registry.ServiceError, or ErrResult
}
