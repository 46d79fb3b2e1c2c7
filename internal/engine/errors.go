package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/hostcall/hostcall/internal/wire"
)

// Errors of the connection itself, as opposed to the coded errors a peer
// sends (wire.Error). Package service re-exports them.
var (
	// ErrClosed: the connection has ended.
	ErrClosed = errors.New("connection to the host closed")
	// ErrBadReply: the peer's reply does not fit what the caller expects.
	ErrBadReply = wire.ErrBadReply
	// ErrNotHosted: a plugin started without --host-file.
	ErrNotHosted = errors.New("not hosted: the plugin was started without --host-file")
)

// Causes of the end of a serving connection's context, for the code of
// the calls it cancels.
var (
	errShutdown  = errors.New("shutting down")
	errConnEnded = errors.New("connection ended")
	// ErrStillRunning marks Serve's report of services that outlived the
	// drain timeout.
	ErrStillRunning = errors.New("still running")
)

// ClosedError turns the error that ended a connection into one that
// matches ErrClosed, keeping the cause: EOF, a broken or closed pipe and a
// reset connection all mean the peer went away. It is the one place that
// classifies them.
func ClosedError(cause error) error {
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

// ContextError reports a call abandoned because its context ended.
func ContextError(what string, seq uint64, err error) error {
	s := wire.ErrCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		s = wire.ErrDeadlineExceeded
	}
	return fmt.Errorf("service %s: call %d abandoned: %w (%w)", what, seq, err, s)
}
