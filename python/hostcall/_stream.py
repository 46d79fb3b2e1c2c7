"""Streams (PROTOCOL.md section 6, "streams"): consuming a stream the peer
answers with (Stream), and producing one from what a served function
returns (produce)."""

import collections
import inspect
import threading
import time

from . import _frames
from ._pool import waiting_on_peer
from .errors import BadReplyError, CanceledError, DeadlineExceededError, HostcallError, remote_error

WINDOW = 1 << 20  # the credit every stream starts with, in bytes of frames
CHUNK = 64 << 10  # bytes read at a time from a file-like result
STREAMS = "streams"  # the hello feature

_POLL = 0.02  # how often a wait looks at a cancel event, in seconds


def is_stream(v):
    """Whether a value (a served function's result, a call's argument) is
    a stream: an iterator (it has __next__: a generator, iter(...), a map
    or a zip...) or a file-like object (read()). Lists, tuples, dicts,
    strings and bytes have no __next__ and are values."""
    if isinstance(v, (str, bytes, bytearray, memoryview, list, tuple, dict, type)):
        return False
    return inspect.isgenerator(v) or hasattr(v, "__next__") or _readable(v)


def _readable(v):
    return callable(getattr(v, "read", None))


class Stream:
    """The items of a stream the host answered a call with, in order: an
    iterator, to use once.

    Iterating yields each item, decoded from JSON (bytes for an item that
    travelled as a blob; returns=bytes also decodes base64 items). When the
    host's service fails, the failure is raised (as Client.call raises it)
    after the items that went before; the stream then ends. Consuming items
    grants the host credit to send more.

    close() (and a with block, and the stream's garbage collection) stops
    the stream early: the host's producer is canceled. A timeout or cancel
    given to the call bounds the whole stream.
    """

    def __init__(self, client, seq, what, returns, deadline, cancel, feats):
        self._client, self._seq, self._what = client, seq, what
        self._returns, self._deadline, self._cancel, self._feats = returns, deadline, cancel, feats
        self._cond = threading.Condition(threading.Lock())
        self._items = collections.deque()  # (reply, blobs, size)
        self._held = 0  # bytes of the items delivered and not consumed yet
        self._consumed = 0  # bytes consumed since the last credit request
        self._ended = False
        self._err = None  # why it ended; None: the producer finished it
        self._closed = False

    # The reader's side.

    def _push(self, reply, blobs, size):
        with self._cond:
            if self._closed or self._ended:
                return
            if self._held + size > WINDOW + self._client._max:
                over = self._held + size
            else:
                self._items.append((reply, blobs, size))
                self._held += size
                self._cond.notify_all()
                return
        self._end(BadReplyError("service %s: the host sent past its credit (%d bytes held, window %d)" % (self._what, over, WINDOW)))
        self._abandon()

    def _end(self, err):
        with self._cond:
            if not self._ended:
                self._ended, self._err = True, err
                self._cond.notify_all()

    # The consumer's side.

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            with self._cond:
                if self._items:
                    reply, blobs, size = self._items.popleft()
                    self._held -= size
                    self._consumed += size
                    grant = 0
                    if self._consumed >= WINDOW // 2 and not self._ended:
                        grant, self._consumed = self._consumed, 0
                    break
                if self._closed:
                    raise StopIteration
                if self._ended:
                    err, self._err = self._err, None
                    self._closed = True
                    if err is not None:
                        raise err
                    raise StopIteration
                step = _POLL if self._cancel is not None else None
                if self._deadline is not None:
                    left = self._deadline - time.monotonic()
                    step = left if step is None else min(step, left)
                if step is None or step > 0:
                    with waiting_on_peer():  # a served function waiting for the host frees its worker
                        self._cond.wait(step)
                    if self._items or self._ended or self._closed:
                        continue
            if self._deadline is not None and time.monotonic() >= self._deadline:
                self.close()
                raise DeadlineExceededError("service %s: timed out waiting for the stream's next item" % self._what)
            if self._cancel is not None and self._cancel.is_set():
                self.close()
                raise CanceledError("service %s: stream canceled by the caller" % self._what)
        if grant > 0:
            self._client._answer(_frames.request(self._seq, "credit", args_json=str(grant)))
        return self._item(reply, blobs)

    def _item(self, reply, blobs):
        if not isinstance(reply, list) or len(reply) != 1:
            self.close()
            raise BadReplyError("service %s: stream item %s is not a one-element array" % (self._what, _frames.dumps(reply)))
        v = reply[0]
        if self._returns is bytes or (blobs and type(v) is int):
            from .client import _to_bytes  # the call's rules for bytes

            return _to_bytes(v, blobs, self._what, 0)
        if self._returns is not None:
            raise TypeError("returns: %r is not bytes or None" % (self._returns,))
        return v

    def close(self):
        """Stops the stream: items not consumed are dropped and, unless it
        has ended, the host's producer is canceled. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._items.clear()
            self._held = 0
            ended = self._ended
            self._cond.notify_all()
        if not ended:
            self._abandon()

    def _abandon(self):
        if self._client._take(self._seq) is not None and "cancel" in self._feats:
            self._client._answer(_frames.request(self._seq, "cancel"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # The finalizer may run on any thread, even one holding the
        # client's lock: the cancel goes from a thread of its own.
        try:
            if not self._closed and not self._ended:
                threading.Thread(target=_close_later, args=(self._client, self._seq, self._feats), daemon=True).start()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __repr__(self):
        return "<hostcall.Stream %d: %s>" % (self._seq, self._what)


def _close_later(client, seq, feats):
    if client._take(seq) is not None and "cancel" in feats:
        client._answer(_frames.request(seq, "cancel"))


class Producer:
    """The credit of a stream this end produces (the host grants it)."""

    __slots__ = ("credit", "cond")

    def __init__(self):
        self.credit = WINDOW
        self.cond = threading.Condition(threading.Lock())

    def grant(self, n):
        with self.cond:
            self.credit += n
            self.cond.notify_all()

    def wake(self):
        with self.cond:
            self.cond.notify_all()


def produce(served, cl, result):
    """Answers call cl with the stream result: the opening frame, its items
    as credit allows, and returns the final response (frame, blobs)."""
    client = served.client
    seq = cl.seq
    it = _chunks(result) if _readable(result) and not inspect.isgenerator(result) else iter(result)
    try:
        if STREAMS not in client.features(wait=False):
            return _frames.response(seq, code="bad_request", error='%s: the caller does not take streams (its hello did not list the feature "streams")'
                                    % cl.what), None
        prod = cl.producer = Producer()
        client._send(_frames.response(seq, more=True), None)
        while True:
            if cl.ctx.done():
                return _ctx_end(cl), None
            try:
                item = next(it)
            except StopIteration:
                break
            except BaseException as e:  # noqa: B902 - a failure of the producer ends the stream with its error
                return served._error(cl, e), None
            try:
                reply_json, blobs = _frames.encode_args([item], client._min_blob())
            except (TypeError, ValueError) as e:
                return _frames.response(seq, error="%s: stream item cannot be encoded: %s" % (cl.what, e), code="service_error"), None
            frame = _frames.response(seq, reply_json=reply_json, blobs=blobs, more=True)
            size = len(frame) - 1 + sum(len(b) for b in blobs)
            limit = client._send_limit()
            if size > limit:
                return _frames.response(seq, code="too_large", error="%s: a stream item of %d bytes is over the frame limit of %d bytes"
                                        % (cl.what, size, limit)), None
            with prod.cond:
                if prod.credit <= 0:
                    with waiting_on_peer():
                        while prod.credit <= 0 and not cl.ctx.done():
                            left = cl.ctx.remaining()
                            prod.cond.wait(0.5 if left is None else min(left, 0.5))
                if cl.ctx.done():
                    return _ctx_end(cl), None
                prod.credit -= size
            client._send(frame, blobs)
        return _frames.response(seq, reply_json="[]"), None
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001 - the answer is made already
                pass
        rclose = getattr(result, "close", None)
        if rclose is not None and rclose is not close:
            try:
                rclose()
            except Exception:  # noqa: BLE001
                pass


def _ctx_end(cl):
    return _frames.response(cl.seq, code=cl.ctx.reason, error=cl.ctx.error.message)


def _chunks(f):
    """The chunks of a file-like object, at most CHUNK bytes each."""
    while True:
        b = f.read(CHUNK)
        if not b:
            return
        yield b


def check_streams(client, what, i):
    if STREAMS not in client.features(wait=False):
        raise HostcallError('service %s: argument %d is a stream: the host does not take streams (its hello did not list the feature "streams")'
                            % (what, i))
