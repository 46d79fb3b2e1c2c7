"""The exceptions of hostcall calls.

Every failure of a call is a HostcallError. Those the host reported are
RemoteErrors, one subclass per protocol code (PROTOCOL.md section 4), so that
``except UnknownServiceError`` works as ``errors.Is(err,
service.ErrUnknownService)`` does in Go. A call's own timeout or cancel,
noticed locally, raises the class of the code the host would have answered
(DeadlineExceededError, CanceledError): one ``except`` covers both ends.

Both ends may give errors of their own a code (register_error, PROTOCOL.md
section 6, "registered errors"): an exception class registered under a
dotted code crosses the connection with it, both ways.
"""

import threading


class HostcallError(Exception):
    """A failed call. code is the protocol code, None when there is none;
    detail the JSON value (decoded) a registered error's fields travelled
    in, None without one."""

    code = None
    detail = None

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


def remote_error(message, code=None, detail=None):
    """The exception for an error response: the class of its code; for a
    registered code (register_error), an instance of the registered class
    that is also a ServiceError; ServiceError for a dotted code nobody
    registered here; plain RemoteError for a code this package does not know
    (kept in .code) or none (a protocol 1 host)."""
    reg = _registered_by_code(code)
    if reg is not None:
        return reg.make(message, detail)
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = ServiceError if is_registered_code(code) else RemoteError
    e = cls(message, code)
    if detail is not None:
        e.detail = detail
    return e


# Registered errors (PROTOCOL.md section 6).

MAX_CODE = 128


def is_registered_code(code):
    """Whether code has the form of a registered error's code: a dot with
    something on each side (the protocol's own codes have none)."""
    if not isinstance(code, str):
        return False
    i = code.find(".")
    return 0 < i < len(code) - 1


def _code_problem(code):
    if not isinstance(code, str) or not code:
        return "is empty"
    if code in _BY_CODE:
        return "is one of the protocol's own codes"
    if len(code.encode("utf-8")) > MAX_CODE:
        return "is longer than %d bytes" % MAX_CODE
    if not is_registered_code(code):
        return 'has no dot: registered codes are a contract\'s prefix, a dot and a name ("kv.not_found")'
    for i, ch in enumerate(code):
        if ch <= " " or ch >= "\x7f" or ch in "\"\\":
            return "has %r at byte %d (letters, digits and punctuation only)" % (ch, i)
    return None


class _Registered:
    """An exception class registered under a code, and the attributes that
    travel as the response's detail."""

    __slots__ = ("code", "cls", "fields", "remote")

    def __init__(self, code, cls, fields):
        self.code, self.cls, self.fields = code, cls, fields
        self.remote = _remote_class(cls)

    def detail(self, exc):
        """The detail of exc: its fields, as a dict; None without fields."""
        if not self.fields:
            return None
        return {f: getattr(exc, f, None) for f in self.fields}

    def make(self, message, detail):
        """The exception a caller raises for a response with this code: the
        registered class (made without calling its __init__), its fields
        set from detail (None for those detail lacks)."""
        cls = self.remote
        try:
            e = cls.__new__(cls, message)
            BaseException.__init__(e, message)
            e.message, e.code, e.detail = message, self.code, detail
            for f in self.fields:
                setattr(e, f, detail.get(f) if isinstance(detail, dict) else None)
        except Exception:  # a class that cannot be made so (its own __new__, slots): the code still says what it is
            e = ServiceError(message, self.code)
            e.detail = detail
        return e


def _remote_class(cls):
    """cls made a ServiceError too, so that ``except ServiceError`` and
    ``except HostcallError`` catch a registered error from the peer as
    ``except cls`` does; cls itself when the two do not mix."""
    if issubclass(cls, HostcallError):
        return cls
    try:
        return type(cls.__name__, (cls, ServiceError), {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                                        "__doc__": cls.__doc__})
    except TypeError:  # a layout conflict (a built-in base): not a ServiceError then
        return cls


_registered_lock = threading.Lock()
_registered = []  # in registration order, the order error_code tries them
_by_registered_code = {}


def register_error(code, cls, fields=()):
    """Gives the exception class cls the code it crosses the connection
    with, both ways; both ends register the same pairs (in Go,
    registry.RegisterError in a contract package both import).

    A served function that raises an instance of cls (or of a subclass) is
    answered with code instead of service_error, and the message is still
    str() of the exception. A call answered with code raises an instance of
    cls, made without calling its __init__, that is also a ServiceError:
    ``except cls`` and ``except hostcall.ServiceError`` both catch it, and
    .message, .code and .detail say what the peer sent.

    fields names the attributes that travel as the response's detail, a
    JSON object (a Go error registered as a struct type: its exported
    fields): they are read from the raised exception, and set on the
    received one (None for those the peer did not send).

    Codes are printable ASCII without spaces or quotes, at most 128 bytes,
    with a dot: a prefix naming the contract, a dot, a name
    ("kv.not_found"). Registering the same pair again does nothing;
    ValueError for a bad code, a code registered for another class or a
    class registered under another code; TypeError when cls is not an
    exception class. Returns cls.
    """
    if not isinstance(cls, type) or not issubclass(cls, BaseException):
        raise TypeError("hostcall: register_error(%r, %r): not an exception class" % (code, cls))
    problem = _code_problem(code)
    if problem:
        raise ValueError("hostcall: register_error(%r, %s): the code %s" % (code, cls.__name__, problem))
    fields = tuple(fields or ())
    if not all(isinstance(f, str) and f for f in fields):
        raise TypeError("hostcall: register_error(%r, %s): fields are attribute names" % (code, cls.__name__))
    with _registered_lock:
        old = _by_registered_code.get(code)
        if old is not None:
            if old.cls is cls and old.fields == fields:
                return cls
            raise ValueError("hostcall: register_error(%r, %s): the code is already registered for %s"
                             % (code, cls.__name__, old.cls.__name__))
        for r in _registered:
            if r.cls is cls:
                raise ValueError("hostcall: register_error(%r, %s): that class is already registered as %r"
                                 % (code, cls.__name__, r.code))
        r = _Registered(code, cls, fields)
        _registered.append(r)
        _by_registered_code[code] = r
    return cls


def _registered_by_code(code):
    if not is_registered_code(code):
        return None
    with _registered_lock:
        return _by_registered_code.get(code)


def error_code(exc):
    """The code that reports exc, raised by a served function, to the peer,
    and its detail (None without one): a HostcallError's own code and
    detail (an error received from the peer and passed on keeps its
    identity; a nested call's timeout stays deadline_exceeded), then the
    registered classes in registration order, then service_error."""
    if isinstance(exc, HostcallError) and exc.code:
        return exc.code, exc.detail
    with _registered_lock:
        regs = list(_registered)
    for r in regs:
        if isinstance(exc, r.cls):
            return r.code, r.detail(exc)
    return ServiceError.code, None


def error_message(exc):
    """The message that reports exc: str(exc), its class name when that is
    empty (an error response needs a message)."""
    try:
        msg = str(exc)
    except Exception:  # a broken __str__ must not lose the answer
        msg = ""
    return msg or type(exc).__name__
