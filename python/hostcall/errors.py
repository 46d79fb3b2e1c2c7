"""The exceptions of hostcall calls.

Every failure of a call is a HostcallError. Those the host reported are
RemoteErrors, one subclass per protocol code (PROTOCOL.md section 4), so that
``except UnknownServiceError`` works as ``errors.Is(err,
service.ErrUnknownService)`` does in Go. A call's own timeout or cancel,
noticed locally, raises the class of the code the host would have answered
(DeadlineExceededError, CanceledError): one ``except`` covers both ends.
"""


class HostcallError(Exception):
    """A failed call. code is the protocol code, None when there is none."""

    code = None

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotHostedError(HostcallError):
    """The plugin was started without --host-file: no host to call."""


class ConnectionClosedError(HostcallError, ConnectionError):
    """The connection to the host has ended (Go: service.ErrClosed)."""


class BadReplyError(HostcallError):
    """The host's answer is not a valid response, or does not fit the call
    (Go: service.ErrBadReply)."""


class RemoteError(HostcallError):
    """A failure the host reported: code is its protocol code (None from a
    protocol 1 host), message exactly the host's message, for a service's
    own error what its Error method returned."""


class UnknownNamespaceError(RemoteError):
    """The host has no such namespace."""

    code = "unknown_namespace"


class UnknownServiceError(RemoteError):
    """The namespace has no such service."""

    code = "unknown_service"


class BadRequestError(RemoteError):
    """The host did not understand the request."""

    code = "bad_request"


class BadArgumentsError(RemoteError):
    """The arguments do not fit the service's parameters."""

    code = "bad_arguments"


class ServiceError(RemoteError):
    """The service returned an error."""

    code = "service_error"


class ServicePanicError(RemoteError):
    """The service panicked (the host recovered)."""

    code = "panic"


class CanceledError(RemoteError):
    """The call was canceled: by the caller (raised locally) or in the host."""

    code = "canceled"


class DeadlineExceededError(RemoteError, TimeoutError):
    """The call's timeout expired: locally, or in the host."""

    code = "deadline_exceeded"


class TooLargeError(RemoteError):
    """A request or a result exceeded the frame size limit (refused locally
    or by the host)."""

    code = "too_large"


class UnavailableError(RemoteError):
    """The host is shutting down."""

    code = "unavailable"


_BY_CODE = {
    cls.code: cls
    for cls in (
        UnknownNamespaceError,
        UnknownServiceError,
        BadRequestError,
        BadArgumentsError,
        ServiceError,
        ServicePanicError,
        CanceledError,
        DeadlineExceededError,
        TooLargeError,
        UnavailableError,
    )
}


def remote_error(message, code=None):
    """The exception for an error response: the class of its code, plain
    RemoteError for a code this package does not know (kept in .code) or
    none (a protocol 1 host)."""
    cls = _BY_CODE.get(code, RemoteError)
    return cls(message, code)
