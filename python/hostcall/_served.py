"""The host's requests to the plugin (PROTOCOL.md section 6): the served
registry's calls, the callbacks the plugin lent, cancel, and the other
requests of section 3."""

import base64
import binascii
import itertools
import threading
import time

from . import _frames
from ._pool import Pool
from .context import CANCELED, UNAVAILABLE, Context, _Either
from .errors import ConnectionClosedError, error_code, error_message
from .registry import ANY, BYTES, CALLBACK, Function
from ._stream import is_stream, produce

# The built-in health namespace (PROTOCOL.md section 6, health): every end
# that serves answers its ping, and a host takes leave notices. It is
# reserved: a registry's namespace of that name is never reached by calls.
HEALTH = "hostcall.health"
PING, LEAVE = "ping", "leave"

DEFAULT_WORKERS = 32  # served calls that run at once (Client.serve's max_workers)

_QUEUED, _RUNNING = 0, 1


class _Call:
    """A request of the host, a call or a callback, from when it is read
    until it is answered."""

    __slots__ = ("seq", "req", "blobs", "fn", "what", "ctx", "state", "producer")

    def __init__(self, seq, req, blobs, fn, what, ctx):
        self.seq, self.req, self.blobs, self.fn, self.what, self.ctx = seq, req, blobs, fn, what, ctx
        self.state = _QUEUED
        self.producer = None  # the stream's credit, once it answers with one

    def end(self, reason):
        self.ctx._end(reason)
        p = self.producer
        if p is not None:
            p.wake()


class _BadArgument(Exception):
    pass


class Served:
    """The requests the host sends this end: one per Client. The reader
    thread hands every request to dispatch, which answers the quick ones
    itself, in the order they were read, and runs calls and callbacks in a
    pool of threads."""

    def __init__(self, client):
        self.client = client
        self.registry = None  # the Registry served, once serve began
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self._calls = {}  # the host's sequence -> _Call, queued or running
        self._busy = 0  # calls admitted and not yet answered
        self._lent = {}  # callback id -> Function
        self._ids = itertools.count(1)
        self._pool = None
        self._workers = DEFAULT_WORKERS
        self._ended = False

    # Serving.

    def start(self, registry, workers):
        """Serves registry from now on; False when something is served
        already."""
        with self._lock:
            if self.registry is not None:
                return False
            self.registry = registry
            self._workers = workers
            if self._pool is not None:
                self._pool.size = workers
            return True

    def end(self):
        """The connection ended: every call's context ends (unavailable);
        calls still queued answer that they did not start."""
        with self._lock:
            self._ended = True
            calls = list(self._calls.values())
        for cl in calls:
            cl.end(UNAVAILABLE)

    def drain(self, timeout):
        """Waits until every admitted call has answered, at most timeout
        seconds; returns the names of those still running."""
        end = time.monotonic() + timeout
        with self._lock:
            while self._busy > 0:
                left = end - time.monotonic()
                if left <= 0:
                    return ["%s (sequence %d)" % (cl.what, cl.seq) for cl in self._calls.values()]
                self._drained.wait(left)
            if self._pool is not None:
                self._pool.close()
        return []

    # Callbacks this end lends.

    def lend(self, fn, what):
        """Lends fn to the host until unlend: returns its id."""
        f = Function(fn, what)
        with self._lock:
            cid = next(self._ids)
            self._lent[cid] = f
        return cid

    def unlend(self, cid):
        with self._lock:
            self._lent.pop(cid, None)

    # The reader's side.

    def dispatch(self, req, blobs):
        """Answers or runs one request of the host (a frame with a type)."""
        typ, seq = req["type"], req["sequence"]
        if typ == "callback":
            self._dispatch_callback(req, blobs)
            return
        if typ == "cancel":
            self._cancel(seq)
            return
        if typ == "credit":
            self._credit(seq, req.get("args"))
            return
        reg = self.registry
        if reg is None:
            self._reply_error(seq, "bad_request", "this plugin serves no requests (got %s)" % _frames.dumps(typ))
            return
        ns = req.get("namespace") or ""
        health = typ == "call" and ns == HEALTH
        # Requests answered here check their sequence here; calls that run
        # in the pool check it in _admit.
        if (typ != "call" or health) and self._in_flight(seq):
            self._reply_error(seq, "bad_request", "sequence %d is already in flight: sequences must not be reused" % seq)
            return
        if health:
            self._health(seq, req.get("name") or "")  # here, on the reader: ahead of the calls queued for a worker
        elif typ == "call":
            self._admit(req, blobs, None, "%s.%s" % (ns, req.get("name") or ""))
        elif typ == "hasNamespace":
            self._reply(_frames.response(seq, ok=reg.has_namespace(ns)))
        elif typ == "getManifest":
            found, mj = reg.manifest_json(ns)
            if not found:
                self._reply_unknown_namespace(seq, ns)
            else:
                self._reply(_frames.response(seq, reply_json=mj if mj is not None else "null"))
        elif typ == "listServices":
            names = reg.names(ns)
            if names is None:
                self._reply_unknown_namespace(seq, ns)
            else:
                self._reply(_frames.response(seq, services=names))
        elif typ == "hello":
            self.client._peer_hello(req.get("args"))
            self._reply(_frames.response(seq, reply_json=self.client._hello_json()))
        elif typ == "":
            self.no_type(seq)
        else:
            self._reply_error(seq, "bad_request", "unknown request type %s" % _frames.dumps(typ))

    def no_type(self, seq):
        """Answers a frame without a type that answers no call of this end,
        when this end serves and the host does not (PROTOCOL.md section 6);
        otherwise drops it. From a host that serves (every protocol 2 host)
        it is most likely the late response to a call this end gave up on:
        an answer, which has no type either, would be taken for the response
        to a call of the host's own."""
        if self.registry is not None and not self.client._peer_serves():
            self._reply_error(seq, "bad_request", "frame %d has no type: not a request" % seq)

    def refuse(self, seq, code, message):
        """Answers a request that could not be read, when this end serves."""
        if self.registry is not None:
            self._reply_error(seq, code, message)

    def _health(self, seq, name):
        """Answers a call of the health namespace (PROTOCOL.md section 6,
        health) as soon as it is read, whatever the registry holds and
        whatever the workers are doing: a ping with no results; a leave
        notice with unknown_service, since only a host takes them."""
        what = "%s.%s" % (HEALTH, name)
        if name == PING:
            self._reply(_frames.response(seq, reply_json="[]"))
        elif name == LEAVE:
            self._reply_error(seq, "unknown_service", "%s: this end takes no leave notices (only a host does)" % what)
        else:
            self._reply_error(seq, "unknown_service", "%s: unknown service %s (the health namespace has ping and leave)"
                              % (_printable(what), _frames.dumps(name)))

    def _reply_unknown_namespace(self, seq, ns):
        self._reply_error(seq, "unknown_namespace", "%s: unknown namespace %s" % (ns, _frames.dumps(ns)))

    def _reply_error(self, seq, code, message):
        self._reply(_frames.response(seq, error=message, code=code))

    def _reply(self, frame):
        self.client._answer(frame)

    def _dispatch_callback(self, req, blobs):
        cid = req.get("callback") or 0
        with self._lock:
            f = self._lent.get(cid)
        if f is None:
            self._reply_error(req["sequence"], "canceled", "callback %d: its call has ended" % cid)
            return
        self._admit(req, blobs, f, f.what)

    def _in_flight(self, seq):
        with self._lock:
            return seq in self._calls

    def _cancel(self, seq):
        """Cancels call seq: a running call's context ends; a queued one is
        answered here and never runs. A cancel for no call is ignored."""
        with self._lock:
            cl = self._calls.get(seq)
            queued = cl is not None and cl.state == _QUEUED
            if queued:
                del self._calls[seq]
                cl.state = None
        if cl is None:
            return
        cl.end(CANCELED)
        if queued:
            self._reply_error(seq, "canceled", "call %d (%s) canceled before it started" % (seq, cl.what))
            self._done()

    def _credit(self, seq, n):
        """Lets the stream seq produces send n more bytes; a credit that is
        not a positive integer, or for no stream, is ignored."""
        if type(n) is not int or n <= 0:
            return
        with self._lock:
            cl = self._calls.get(seq)
        p = cl.producer if cl is not None else None
        if p is not None:
            p.grant(n)

    def _admit(self, req, blobs, fn, what):
        seq = req["sequence"]
        timeout = req.get("timeout")
        deadline = time.monotonic() + timeout / 1e9 if timeout else None
        cl = _Call(seq, req, blobs, fn, what, Context(self.client, deadline))
        with self._lock:
            dup = seq in self._calls
            if not dup:
                self._calls[seq] = cl
                self._busy += 1
                if self._pool is None:
                    self._pool = Pool(self._workers)
                pool = self._pool
            if self._ended:
                cl.ctx._end(UNAVAILABLE)
        if dup:
            self._reply_error(seq, "bad_request",
                              "sequence %d is already in flight (%s): sequences must not be reused" % (seq, what))
            return
        pool.submit(lambda: self._run(cl))

    # A worker's side.

    def _run(self, cl):
        with self._lock:
            if cl.state != _QUEUED:
                return  # canceled while queued: answered
            cl.state = _RUNNING
        frame, blobs = None, None
        try:
            if cl.ctx.done():
                frame = _frames.response(cl.seq, code=cl.ctx.reason,
                                         error="call %d (%s) did not start: %s" % (cl.seq, cl.what, cl.ctx.error.message))
            else:
                frame, blobs = self._invoke(cl)
        except BaseException as e:  # noqa: B902 - a bug here must still answer the call
            frame = _frames.response(cl.seq, error="%s: %s" % (cl.what, error_message(e)), code="service_error")
        finally:
            with self._lock:
                if self._calls.get(cl.seq) is cl:
                    del self._calls[cl.seq]  # before the answer: the host may reuse the sequence once it has it
            try:
                self.client._send(frame, blobs)
            except OSError:
                pass  # the connection is ending
            self._done()

    def _done(self):
        with self._lock:
            self._busy -= 1
            if self._busy == 0:
                self._drained.notify_all()

    def _invoke(self, cl):
        """Runs cl; returns its response frame and blobs."""
        fn = cl.fn
        if fn is None:
            fn, code, msg = self.registry.lookup(cl.req.get("namespace") or "", cl.req.get("name") or "")
            if fn is None:
                return _frames.response(cl.seq, error=msg, code=code), None
        args = cl.req.get("args")
        if args is None:
            args = []
        if not isinstance(args, list):
            return self._bad_arguments(cl, "args is %s, not an array" % _frames.dumps(args)), None
        callbacks = []
        try:
            try:
                args = [self._arg(cl, fn, i, a, callbacks) for i, a in enumerate(args)]
                fn.check(args, cl.ctx)
            except (_BadArgument, TypeError) as e:
                return self._bad_arguments(cl, str(e)), None
            try:
                result = fn(args, cl.ctx)
            except BaseException as e:  # noqa: B902 - every failure of the function is its answer
                return self._error(cl, e), None
            if is_stream(result):  # a generator may use the callbacks: they stay lent until the end
                return produce(self, cl, result)
        finally:
            for cb in callbacks:
                cb._ended = True
        return self._result(cl, result)

    def _bad_arguments(self, cl, why):
        return _frames.response(cl.seq, error="%s: bad arguments: %s" % (cl.what, why), code="bad_arguments")

    def _error(self, cl, e):
        """The response for the exception e the function raised: its code
        (error_code); a function that fails once its context is done is
        answered with the context's code, whatever it raised."""
        code, detail = error_code(e)
        if cl.ctx.done():
            code, detail = cl.ctx.reason, None
        dj = None
        if detail is not None:
            try:
                dj = _frames.dumps(detail)
            except (TypeError, ValueError):
                dj = None  # the code still says what it is
            if dj is not None and len(dj) > self.client._send_limit() // 2:
                dj = None
        return _frames.response(cl.seq, error=error_message(e), code=code, detail_json=dj)

    def _result(self, cl, result):
        if result is None:
            values = []
        elif isinstance(result, tuple):
            values = list(result)
        else:
            values = [result]
        min_blob = self.client._min_blob()
        try:
            reply_json, out = _frames.encode_args(values, min_blob)
        except (TypeError, ValueError) as e:
            return _frames.response(cl.seq, error="%s: result cannot be encoded: %s" % (cl.what, e), code="service_error"), None
        frame = _frames.response(cl.seq, reply_json=reply_json, blobs=out)
        size, limit = len(frame) + sum(len(b) for b in out), self.client._send_limit()
        if size > limit:
            return _frames.response(cl.seq, code="too_large", error="%s: frame too large: result of %d bytes is over the frame limit of %d bytes"
                                    % (cl.what, size, limit)), None
        return frame, out

    def _arg(self, cl, fn, i, a, callbacks):
        """Argument i as the function takes it: bytes for a parameter
        annotated bytes, a Callback for a callback."""
        kind = fn.kind(i)
        if kind == BYTES:
            return _bytes_arg(i, a, cl.blobs)
        if kind == CALLBACK or (kind == ANY and cl.fn is None):  # a callback's own parameters are never funcs
            cid = _callback_id(a)
            if cid is not None:
                cb = Callback(self.client, cid, "%s callback (argument %d)" % (cl.what, i), cl.ctx)
                callbacks.append(cb)
                return cb
            if kind == CALLBACK and a is not None:
                raise _BadArgument('argument %d: want a callback, {"callback":id} with id > 0, or null, got %s'
                                   % (i, _frames.dumps(a)))
        return a


def _printable(s):
    """s as it is when it has no control characters, else quoted (JSON), as
    the Go end words names in its messages."""
    if any(c < " " or c == "\x7f" for c in s):
        return _frames.dumps(s)
    return s


def _bytes_arg(i, a, blobs):
    if a is None:
        return b""
    if type(a) is int:
        if not 0 <= a < len(blobs or ()):
            raise _BadArgument("argument %d names blob %d, and the request has %d" % (i, a, len(blobs or ())))
        return blobs[a]
    if isinstance(a, str):
        try:
            return base64.b64decode(a, validate=True)
        except (binascii.Error, ValueError):
            raise _BadArgument("argument %d is not base64" % i) from None
    raise _BadArgument("argument %d is %s, not bytes" % (i, _frames.dumps(a)))


def _callback_id(a):
    """The id of a {"callback":id} argument, None for anything else."""
    if type(a) is dict and len(a) == 1:
        cid = a.get("callback")
        if type(cid) is int and 0 < cid <= _frames.MAX_UINT64:
            return cid
    return None


class Callback:
    """A function the host lent the plugin for the duration of one call (a
    func argument of the Go consumer): calling it sends the host a callback
    request, and returns what the host's func returned, as Client.call does
    (None, a value, or a tuple of values; returns=bytes as there).

    It is valid until the served function returns: after that, calling it
    raises ConnectionClosedError. Its calls are canceled with the served
    call and bounded by its deadline; timeout= and cancel= add bounds of
    their own.
    """

    __slots__ = ("_client", "_id", "_what", "_ctx", "_ended")

    def __init__(self, client, cid, what, ctx):
        self._client, self._id, self._what, self._ctx = client, cid, what, ctx
        self._ended = False

    def __call__(self, *args, timeout=None, cancel=None, returns=None):
        if self._ended:
            raise ConnectionClosedError("%s: called after its call returned" % self._what)
        left = self._ctx.remaining()
        if left is not None and (timeout is None or left < timeout):
            timeout = left
        return self._client._callback(self._what, self._id, args, timeout, _Either(self._ctx, cancel), returns)

    def __iter__(self):
        """The items of the stream the host lent (a stream parameter, which
        travels as a callback without arguments): iter(cb) is cb()."""
        return iter(self())

    def __repr__(self):
        return "<hostcall.Callback %d: %s>" % (self._id, self._what)

