"""What a served call knows of itself: its deadline and whether it was
canceled (Go's context.Context for the functions a plugin serves)."""

import threading
import time

from .errors import CanceledError, DeadlineExceededError, UnavailableError

CANCELED = "canceled"
DEADLINE_EXCEEDED = "deadline_exceeded"
UNAVAILABLE = "unavailable"

_ERRORS = {
    CANCELED: (CanceledError, "context canceled"),
    DEADLINE_EXCEEDED: (DeadlineExceededError, "context deadline exceeded"),
    UNAVAILABLE: (UnavailableError, "the connection to the host ended"),
}


class Context:
    """The context of one call the host made: a served function that has a
    parameter named ``ctx`` gets one (as its first argument when ``ctx`` is
    its first parameter, else as the keyword argument ``ctx=``).

    It is done once the host canceled the call (a cancel frame, or the host
    giving up), once the call's deadline (the request's timeout) passed, or
    once the connection ended. Python cannot stop a thread: a function that
    runs long looks at it (``ctx.done()``, ``ctx.check()``, ``ctx.wait()``).

    It has is_set(), as a threading.Event: pass it as the cancel= of calls to
    the host, or call through ctx.call, which also passes what is left of
    the deadline as the timeout, so that the calls a function makes end with
    its own (a cancel reaches calls nested to any depth).
    """

    __slots__ = ("client", "deadline", "_ev", "_reason")

    def __init__(self, client=None, deadline=None):
        self.client = client  # the connection the call came on: call the host through it
        self.deadline = deadline  # time.monotonic() at which the call times out, None for none
        self._ev = threading.Event()
        self._reason = None

    def _end(self, reason):
        """Ends the context with reason (CANCELED, UNAVAILABLE) unless it
        ended already."""
        if self._reason is None:
            self._reason = reason
            self._ev.set()

    def remaining(self):
        """Seconds left before the deadline (0 once past it), None without
        a deadline."""
        if self.deadline is None:
            return None
        return max(self.deadline - time.monotonic(), 0.0)

    def done(self):
        """Whether the call should stop: canceled, past its deadline, or its
        connection ended."""
        if self._ev.is_set():
            return True
        return self.deadline is not None and time.monotonic() >= self.deadline

    is_set = done  # a Context is a cancel= of the client's calls

    @property
    def reason(self):
        """Why the context is done: "canceled", "deadline_exceeded" or
        "unavailable" (the connection ended); None while it is not."""
        if self._reason is not None:
            return self._reason
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return DEADLINE_EXCEEDED
        return None

    @property
    def error(self):
        """The exception that says why the context is done (CanceledError,
        DeadlineExceededError or UnavailableError), None while it is not:
        raising it answers the host with its code."""
        r = self.reason
        if r is None:
            return None
        cls, msg = _ERRORS[r]
        return cls(msg)

    def check(self):
        """Raises error when the context is done."""
        e = self.error
        if e is not None:
            raise e

    def wait(self, timeout=None):
        """Waits until the context is done, at most timeout seconds (None:
        no bound but the deadline); returns whether it is done."""
        left = self.remaining()
        if left is not None and (timeout is None or left < timeout):
            timeout = left
        self._ev.wait(timeout)
        return self.done()

    def call(self, namespace, name, *args, timeout=None, cancel=None, returns=None):
        """Calls the host's service namespace.name (Client.call) within this
        call: canceled with it, bounded by its deadline (or timeout, when
        that comes first)."""
        left = self.remaining()
        if left is not None and (timeout is None or left < timeout):
            timeout = left
        return self.client.call(namespace, name, *args, timeout=timeout, cancel=_Either(self, cancel), returns=returns)

    def __repr__(self):
        return "<hostcall.Context %s>" % (self.reason or "running")


class _Either:
    """Set when either of two cancel events is."""

    __slots__ = ("a", "b")

    def __new__(cls, a, b):
        if b is None:
            return a
        self = object.__new__(cls)
        self.a, self.b = a, b
        return self

    def is_set(self):
        return self.a.is_set() or self.b.is_set()
