"""The plugin side of hostcall: calling the host's services, and serving
the plugin's own functions to the host."""

import base64
import binascii
import itertools
import queue
import threading
import time
import weakref

from . import _frames
from ._pool import waiting_on_peer
from ._scan import Framer, TruncatedError
from ._served import DEFAULT_WORKERS, HEALTH, LEAVE, PING, Served
from ._stream import STREAMS, Stream, check_streams, is_stream
from ._transport import host_urls, open_urls
from .errors import (
    BadReplyError,
    CanceledError,
    ConnectionClosedError,
    DeadlineExceededError,
    HostcallError,
    NotHostedError,
    TooLargeError,
    remote_error,
)
from .registry import Registry

PROTOCOL = 2
FEATURES = ("cancel", "timeout", "codes", "blobs", "callbacks", STREAMS)
SERVE = "serve"  # the feature of an end that serves requests
DRAIN_TIMEOUT = 5.0  # seconds serve waits for running calls once the connection ended
DEFAULT_MAX_FRAME = 64 << 20
MIN_BLOB = 512  # bytes from which a bytes argument travels as a blob

_POLL = 0.02  # how often a wait looks at a cancel event, in seconds


class _Pending:
    """A call waiting for its response."""

    __slots__ = ("done", "resp", "blobs", "error", "on_done", "stream")

    def __init__(self, on_done=None):
        self.done = threading.Event()
        self.resp = None
        self.blobs = None
        self.error = None
        self.on_done = on_done
        self.stream = None  # the Stream once the host answered with one

    def finish(self):
        if self.on_done is not None:
            self.on_done(self)
        self.done.set()


class Client:
    """A connection to the host, shared by any number of threads.

    One reader thread routes each response to its call by sequence, and
    each request of the host (once the plugin serves, and callbacks) to a
    pool of threads; frames are written whole under a lock, so calls from
    many threads are multiplexed on the one connection. The client says
    hello first (protocol 2) and falls back to protocol 1 when the host
    answers it with an error: then no timeouts travel, no cancel frames are
    sent and bytes travel as base64.
    """

    def __init__(self, stream, max_frame=DEFAULT_MAX_FRAME):
        self._stream = stream
        self._max = max_frame
        self._lock = threading.Lock()  # guards the fields below
        self._pending = {}
        self._seq = itertools.count(1)
        self._closed = None  # the ConnectionClosedError once the connection ended
        self._peer = None  # the host's hello reply, a dict, when it said one
        self._wlock = threading.Lock()  # one frame (with its blobs) at a time
        self._answers = None  # queue of answers to the host's requests
        self._hello_done = threading.Event()
        self._read_error = None  # why reading ended, None for the host's clean end
        self._served = Served(self)
        self._reader = threading.Thread(target=self._read_loop, name="hostcall-reader", daemon=True)
        self._say_hello()
        self._reader.start()

    # Connection state.

    @property
    def protocol(self):
        """The protocol spoken with the host: 2 once it answered hello, 1 if
        it answered with an error, None while the answer is awaited."""
        if not self._hello_done.is_set():
            return None
        return 2 if self._peer is not None else 1

    def features(self, wait=True):
        """The protocol 2 features both ends support (empty with a protocol
        1 host). With wait, waits for the host's hello answer first."""
        if wait:
            self._hello_done.wait()
        peer = self._peer
        if peer is None:
            return frozenset()
        return frozenset(f for f in peer.get("features") or () if f in FEATURES)

    def close(self):
        """Ends the plugin-to-host stream and fails calls still pending with
        ConnectionClosedError. The reader thread ends when the host closes
        its end (it does once it sees ours end)."""
        with self._wlock:
            self._stream.close_write()
        self._fail(ConnectionClosedError("hostcall: connection closed by the plugin"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # Calls.

    def call(self, namespace, name, *args, timeout=None, cancel=None, returns=None):
        """Calls service namespace.name with args and returns its result:
        None for a service without results, the value for one result, a
        tuple for more.

        timeout (seconds) bounds the call: it travels to the host, which runs
        the service under that deadline, and when it expires here the call
        raises DeadlineExceededError and the host is told to cancel it.
        cancel is a threading.Event (anything with is_set): once set, the
        call raises CanceledError and the host is told to cancel it.

        bytes arguments travel as blobs (from 512 bytes, when the host takes
        blobs) or base64. JSON has no bytes type, so say which results are
        bytes: returns=bytes converts every result, a sequence such as
        (bytes, None) each result of its position (None leaves it as it is).

        A function among args (a func parameter of the host's service) is
        lent to the host until the call returns: the host's callback
        requests run it in the pool of served calls, with the rules of a
        served function (see Registry). It needs a host whose hello lists
        "callbacks"; otherwise the call fails before it is sent.

        An iterator among args (a generator, anything with __next__ but a
        str, bytes, list, tuple or dict) is lent as a stream argument; it
        needs a host whose hello lists "streams". A service that answers
        with a stream returns a Stream (see call_stream).

        Failures raise a HostcallError: the host's as a RemoteError subclass
        of its code, ConnectionClosedError when the host went away.
        """
        res = self.call_all(namespace, name, *args, timeout=timeout, cancel=cancel, returns=returns)
        if isinstance(res, Stream):
            return res
        if not res:
            return None
        if len(res) == 1:
            return res[0]
        return tuple(res)

    def call_all(self, namespace, name, *args, timeout=None, cancel=None, returns=None):
        """call, returning the list of the service's results as it is (or
        the Stream the host answered with)."""
        return self._call("%s.%s" % (namespace, name), "call", namespace, name, None, args, timeout, cancel, returns)

    def call_stream(self, namespace, name, *args, timeout=None, cancel=None, returns=None):
        """Calls a service that answers with a stream (PROTOCOL.md section 6,
        "streams"; in Go a result of type iter.Seq, iter.Seq2, a channel or
        an io.Reader) and returns the Stream: an iterator of its items, to
        close (or use in a with block) when it is left early. call returns
        the same Stream for such a service; call_stream also raises
        BadReplyError when the answer is not a stream.

        timeout and cancel bound the whole stream, not only its opening;
        returns=bytes decodes every item as bytes (items that travel as
        blobs are bytes anyway)."""
        what = "%s.%s" % (namespace, name)
        res = self._call(what, "call", namespace, name, None, args, timeout, cancel, returns)
        if not isinstance(res, Stream):
            raise BadReplyError("service %s: answered with results %s, not a stream" % (what, _frames.dumps(res)))
        return res

    def _callback(self, what, cid, args, timeout, cancel, returns):
        """Calls the func the host lent as callback cid (a Callback's call)."""
        res = self._call(what, "callback", None, None, cid, args, timeout, cancel, returns)
        if isinstance(res, Stream):
            return res
        if not res:
            return None
        if len(res) == 1:
            return res[0]
        return tuple(res)

    def _call(self, what, typ, namespace, name, cid, args, timeout, cancel, returns):
        """A call or callback request and its results. Callables among args
        are lent to the host for the duration of a call."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if cancel is not None and cancel.is_set():
            raise CanceledError("service %s: canceled by the caller" % what)
        if deadline is not None and timeout <= 0:
            raise DeadlineExceededError("service %s: timed out before the call" % what)
        lend = [i for i, a in enumerate(args) if _lendable(a) or is_stream(a)]
        if lend and typ != "call":
            raise HostcallError("service %s: argument %d is a function: a callback's own parameters are never funcs" % (what, lend[0]))
        feats = self._features_for(args, timeout, cancel, deadline, what, bool(lend))
        lent = []
        try:
            if lend:
                if "callbacks" not in feats:
                    raise HostcallError('service %s: argument %d: the host does not take callbacks (its hello did not list the feature "callbacks")'
                                        % (what, lend[0]))
                args = list(args)
                for i in lend:
                    fn = args[i]
                    if is_stream(fn):
                        check_streams(self, what, i)
                        fn = _opener(fn)
                    try:
                        cid_i = self._served.lend(fn, "%s argument %d" % (what, i))
                    except TypeError as e:
                        raise HostcallError("service %s: argument %d: %s" % (what, i, e)) from None
                    lent.append(cid_i)
                    args[i] = {"callback": cid_i}
            min_blob = MIN_BLOB if "blobs" in feats else -1
            try:
                args_json, blobs = _frames.encode_args(args, min_blob)
            except (TypeError, ValueError) as e:
                raise HostcallError("service %s: encoding the arguments: %s" % (what, e)) from None
            ns_timeout = None
            if deadline is not None and "timeout" in feats:
                ns_timeout = max(int((deadline - time.monotonic()) * 1e9), 1)
            resp, rblobs = self._roundtrip(what, typ, namespace, name, args_json, ns_timeout, blobs, deadline, cancel, feats, cid, returns)
        finally:
            for c in lent:
                self._served.unlend(c)
        if isinstance(resp, Stream):
            return resp
        reply = resp.get("reply")
        if reply is None:
            reply = []
        if not isinstance(reply, list):
            raise BadReplyError("service %s: reply %s is not an array of results" % (what, _frames.dumps(reply)))
        return _convert(reply, returns, rblobs, what)

    def service(self, namespace, name, *, timeout=None, returns=None):
        """A callable that calls service namespace.name: service("calc",
        "add")(1, 2). timeout and returns apply to every call; a call may
        pass its own timeout and cancel keyword arguments."""

        def stub(*args, timeout=timeout, cancel=None):
            return self.call(namespace, name, *args, timeout=timeout, cancel=cancel, returns=returns)

        stub.__name__ = "%s.%s" % (namespace, name)
        return stub

    def has_namespace(self, namespace, timeout=None):
        """Whether the host defines namespace."""
        resp = self._simple("hasNamespace", namespace, timeout)
        return bool(resp.get("ok"))

    def get_manifest(self, namespace, timeout=None):
        """The manifest of namespace, decoded from JSON (None when it has
        none). Raises UnknownNamespaceError for a namespace the host does
        not define."""
        resp = self._simple("getManifest", namespace, timeout)
        return resp.get("reply")

    def list_services(self, namespace, timeout=None):
        """The names of the services of namespace, sorted."""
        resp = self._simple("listServices", namespace, timeout)
        return sorted(resp.get("services") or [])

    # Health (PROTOCOL.md section 6, health).

    def ping(self, timeout=None, cancel=None):
        """Asks the host whether it is there and answers: returns None once
        it has (a call of hostcall.health.ping). The host answers as soon
        as it reads the ping, ahead of the calls waiting for a slot, so
        returning says that the host reads, dispatches and writes.

        timeout (seconds) and cancel (a threading.Event, or a served call's
        Context) bound the wait as for call: DeadlineExceededError says the
        host did none of that in time. ConnectionClosedError when the
        connection is gone; a RemoteError (UnknownNamespaceError from a
        host older than the health namespace) when the host refuses it.
        """
        self._call("%s.%s" % (HEALTH, PING), "call", HEALTH, PING, None, (), timeout, cancel, None)

    def leave(self, reason="", timeout=None, cancel=None):
        """Asks the host to stop this plugin cleanly, saying why (a call of
        hostcall.health.leave): the host answers, and leave returns None,
        then closes its stream to the plugin, so a serve returns (and the
        plugin exits as it would when the host stops it); a host that
        supervises the plugin does not restart it. Calls to the host fail
        with ConnectionClosedError from then on.

        timeout and cancel as for call. A host that takes no leave notices
        answers with an error, raised as its RemoteError (an end that is
        not a host answers UnknownServiceError).
        """
        if not isinstance(reason, str):
            raise TypeError("hostcall: leave: the reason is a str, not %s" % type(reason).__name__)
        self._call("%s.%s" % (HEALTH, LEAVE), "call", HEALTH, LEAVE, None, (reason,), timeout, cancel, None)

    def _simple(self, typ, namespace, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        resp, _ = self._roundtrip("%s %s" % (typ, namespace), typ, namespace, None, None, None, None, deadline, None, frozenset())
        return resp

    # Serving.

    def serve(self, services, *, max_workers=DEFAULT_WORKERS, drain_timeout=DRAIN_TIMEOUT):
        """Serves functions to the host until the host closes the connection
        (PROTOCOL.md section 6, "serve"): the host calls them as the plugin
        calls the host's services. services is a Registry, or a mapping
        namespace -> name -> function (Registry's rules: annotations for
        bytes and callbacks, a ctx parameter for the call's Context).

        It blocks; the plugin keeps calling the host meanwhile, from other
        threads and from the served functions themselves (a call nested in
        the host's call). At most max_workers calls run at once, not
        counting those waiting for the host's answer to a call of their own;
        more wait their turn.

        serve tells the host it serves (a hello listing "serve"): a host
        calls a plugin only from then on (Go: host.Start returns then).

        It returns None when the host closed the connection, after the calls
        still running have answered (their contexts end, unavailable) or
        drain_timeout seconds have passed (then it raises HostcallError
        naming them); the client is closed from then on. It raises
        ConnectionClosedError when the connection failed, and RuntimeError
        when the client serves already.
        """
        reg = services if isinstance(services, Registry) else Registry(services)
        if self._closed is not None:
            raise ConnectionClosedError("hostcall: serve: %s" % self._closed.message)
        if not self._served.start(reg, max_workers):
            raise RuntimeError("hostcall: the connection is served already")
        self._say_hello()  # again, listing "serve": the host may call from now on
        self._reader.join()
        self._served.end()
        still = self._served.drain(drain_timeout)
        self.close()
        if self._read_error is not None:
            raise ConnectionClosedError(self._read_error)
        if still:
            raise HostcallError("hostcall: %d calls [%s] still running %gs after the connection ended; their results are dropped"
                                % (len(still), ", ".join(still[:3]) + (", ..." if len(still) > 3 else ""), drain_timeout))
        return None

    def _hello_json(self):
        """What this end says in hello and answers to one: "serve" joins the
        features once it serves."""
        features = list(FEATURES)
        if self._served.registry is not None:
            features.append(SERVE)
        return _frames.dumps({"protocol": PROTOCOL, "features": features, "maxFrame": self._max})

    def _peer_hello(self, h):
        """Records the host's hello (its answer to ours, or its own request)
        when it is protocol 2's; the latest counts."""
        if isinstance(h, dict) and type(h.get("protocol")) is int and h["protocol"] >= 2 and isinstance(h.get("features") or [], list):
            self._peer = h

    def _peer_serves(self):
        peer = self._peer
        return peer is not None and SERVE in (peer.get("features") or ())

    def _min_blob(self):
        return MIN_BLOB if "blobs" in self.features(wait=False) else -1

    # Internals.

    def _features_for(self, args, timeout, cancel, deadline, what, lends=False):
        """The features the call can use: waits for the hello answer only
        when the call would use one (a timeout, a cancel, a large bytes
        argument, a callback)."""
        if self._hello_done.is_set():
            return self.features(wait=False)
        big = any(isinstance(a, (bytes, bytearray, memoryview)) and len(a) >= MIN_BLOB for a in args)
        if timeout is None and cancel is None and not big and not lends:
            return frozenset()
        self._wait(self._hello_done, deadline, cancel, what, None, frozenset())
        return self.features(wait=False)

    def _roundtrip(self, what, typ, namespace, name, args_json, ns_timeout, blobs, deadline, cancel, feats, cid=None, returns=None):
        p = _Pending()
        p.stream = (what, returns, deadline, cancel, feats)  # how to make the Stream, if the answer is one
        with self._lock:
            if self._closed is not None:
                raise _closed_for(what, self._closed)
            seq = next(self._seq)
            self._pending[seq] = p
        frame = _frames.request(seq, typ, namespace, name, args_json, ns_timeout, blobs, cid)
        limit = self._send_limit()
        size = len(frame) + sum(len(b) for b in blobs or ())
        if size > limit:
            self._take(seq)
            raise TooLargeError("service %s: request of %d bytes is over the frame limit of %d bytes" % (what, size, limit))
        try:
            self._send(frame, blobs)
        except OSError as e:
            self._take(seq)
            err = ConnectionClosedError("hostcall: writing to the host: %s" % e)
            self._fail(err)
            raise _closed_for(what, err) from None
        with waiting_on_peer():  # a served function waiting for the host frees its worker
            self._wait(p.done, deadline, cancel, what, seq, feats)
        if p.error is not None:
            raise p.error
        if isinstance(p.stream, weakref.ref):
            st, p.resp = p.resp, None  # from now on only the caller keeps it: dropping it cancels
            return st, None
        resp = p.resp
        if resp.get("error") is not None or resp.get("code") is not None:
            msg = resp.get("error") or ""
            raise remote_error(msg, resp.get("code"), resp.get("detail"))
        return resp, p.blobs

    def _wait(self, ev, deadline, cancel, what, seq, feats):
        """Waits for ev. When the deadline passes or cancel is set first,
        gives the call seq up (telling the host) and raises."""
        while True:
            step = None
            if deadline is not None:
                step = deadline - time.monotonic()
                if step <= 0:
                    if self._give_up(seq, feats):
                        raise DeadlineExceededError("service %s: timed out waiting for the host" % what)
                    ev.wait()  # the response won the race: it is being delivered
                    return
            if cancel is not None:
                if cancel.is_set():
                    if self._give_up(seq, feats):
                        raise CanceledError("service %s: canceled by the caller" % what)
                    ev.wait()
                    return
                step = _POLL if step is None else min(step, _POLL)
            if ev.wait(step):
                return

    def _give_up(self, seq, feats):
        """Forgets call seq and asks the host to cancel it. False when its
        response won the race: the caller uses it."""
        if seq is None:
            return True
        if self._take(seq) is None:
            return False
        if "cancel" in feats:
            self._answer(_frames.request(seq, "cancel"))
        return True

    def _send_limit(self):
        peer = self._peer
        if peer is not None:
            m = peer.get("maxFrame")
            if type(m) is int and 0 < m < self._max:
                return m
        return self._max

    def _send(self, frame, blobs):
        with self._wlock:
            self._stream.write(frame)
            for b in blobs or ():
                self._stream.write(b)

    def _take(self, seq):
        with self._lock:
            return self._pending.pop(seq, None)

    def _fail(self, err):
        """Ends the connection with err: every pending call fails."""
        with self._lock:
            if self._closed is None:
                self._closed = err
            pending, self._pending = self._pending, {}
        for p in pending.values():
            if isinstance(p.stream, weakref.ref):
                st = p.stream()
                if st is not None:
                    st._end(err)
                continue
            p.error = err
            p.finish()
        self._hello_done.set()

    def _answer(self, frame):
        """Queues a frame that nobody waits for (a cancel, an answer the
        reader gives to the host's request) for a writer thread, so that the
        reader never blocks on writing."""
        with self._lock:
            if self._closed is not None:
                return
            if self._answers is None:
                self._answers = queue.Queue()
                threading.Thread(target=self._answer_loop, name="hostcall-answers", daemon=True).start()
            self._answers.put(frame)

    def _answer_loop(self):
        while True:
            frame = self._answers.get()
            try:
                self._send(frame, None)
            except OSError:
                return

    def _say_hello(self):
        p = _Pending(self._hello_answered)
        with self._lock:
            seq = next(self._seq)
            self._pending[seq] = p
        frame = _frames.request(seq, "hello", args_json=self._hello_json())
        try:
            self._send(frame, None)
        except OSError as e:
            self._fail(ConnectionClosedError("hostcall: writing to the host: %s" % e))

    def _hello_answered(self, p):
        """Records the host's answer to hello: its hello, or protocol 1."""
        r = p.resp
        if r is not None and r.get("error") is None:
            self._peer_hello(r.get("reply"))
        self._hello_done.set()

    def _read_loop(self):
        fr = Framer(self._stream.read, self._max)
        try:
            while True:
                f = fr.next()
                if f is None:
                    self._fail(ConnectionClosedError("hostcall: the host closed the connection"))
                    return
                self._handle(fr, f)
        except TruncatedError as e:
            self._end_reading("hostcall: the host closed the connection: %s" % e)
        except OSError as e:
            self._end_reading("hostcall: reading from the host: %s" % e)
        except Exception as e:  # a bug here must not leave callers waiting
            self._end_reading("hostcall: reader failed: %r" % e)
        finally:
            self._served.end()

    def _end_reading(self, why):
        self._read_error = why
        self._fail(ConnectionClosedError(why))

    def _handle(self, fr, f):
        """Routes one frame: a response to the call waiting for it, a
        request (a frame with a type) to the served side."""
        if f.too_large:
            seq, lengths = _frames.recover(f.head)
            fr.read_blobs(lengths, False)
            self._refuse(seq, TooLargeError, "too_large", "%s of %d bytes is over the frame limit of %d bytes" % (self._incoming(), f.size, self._max))
            return
        try:
            if f.error is not None:
                raise _frames.BadFrame(f.error)
            m = _frames.parse(f.data)
        except _frames.BadFrame as e:
            seq, lengths = _frames.recover(f.data)
            fr.read_blobs(lengths, False)
            self._refuse(seq, BadReplyError, "bad_request", str(e))
            return
        blobs, over = fr.read_blobs(m.get("blobs"), True)
        seq = m["sequence"]
        if "type" not in m and m.get("more") is True:
            self._stream_frame(seq, m, blobs, over, f.size)
            return
        if "type" in m:
            if over:
                self._served.refuse(seq, "too_large", "request %d with blobs is over the frame limit of %d bytes" % (seq, self._max))
                return
            self._served.dispatch(m, blobs)
            return
        p = self._take(seq)
        if p is None:
            self._served.no_type(seq)  # a response nobody waits for is dropped
            return
        if isinstance(p.stream, weakref.ref):
            st = p.stream()
            if st is None:
                return  # dropped by its consumer: its cancel is on its way
            err = None
            if over:
                err = TooLargeError("hostcall: response with its blobs is over the frame limit of %d bytes" % self._max)
            elif m.get("error") is not None or m.get("code") is not None:
                err = remote_error(m.get("error") or "", m.get("code"), m.get("detail"))
            st._end(err)
            return
        if over:
            p.error = TooLargeError("hostcall: response with its blobs is over the frame limit of %d bytes" % self._max)
        p.resp, p.blobs = m, blobs
        p.finish()

    def _stream_frame(self, seq, m, blobs, over, size):
        """A frame of a stream (more: true): the first opens the call's
        Stream and lets the call return; those with a reply are items."""
        with self._lock:
            p = self._pending.get(seq)
        if p is None or p.stream is None or p.on_done is not None:
            return  # abandoned: its cancel is on its way (or not a call)
        first = not isinstance(p.stream, weakref.ref)
        if first:
            what, returns, deadline, cancel, feats = p.stream
            st = Stream(self, seq, what, returns, deadline, cancel, feats)
            p.stream = weakref.ref(st)  # the Pending does not keep it: its consumer does
            p.resp = st  # until the call returns it
        else:
            st = p.stream()
            if st is None:
                return  # dropped by its consumer: its cancel is on its way
        if over:
            st._end(TooLargeError("hostcall: stream item with its blobs is over the frame limit of %d bytes" % self._max))
            st._abandon()
        elif "reply" in m:
            st._push(m["reply"], blobs, size + sum(m.get("blobs") or ()))
        if first:
            p.finish()

    def _incoming(self):
        """What this end mostly reads, for messages."""
        return "request" if self._served.registry is not None else "response"

    def _refuse(self, seq, cls, code, why):
        """Fails the call seq with why; a frame that answers no call of this
        end is answered with code when this end serves, and otherwise
        dropped, as one without a recoverable sequence is."""
        if seq is None:
            return
        p = self._take(seq)
        if p is not None:
            p.error = cls("hostcall: %s" % why)
            p.finish()
            return
        self._served.refuse(seq, code, why)


def _opener(it):
    """The callback that lends stream it: it takes no arguments and its
    result is the stream (PROTOCOL.md section 6)."""

    def stream():
        return it

    return stream


def _lendable(a):
    """Whether argument a is a function to lend to the host."""
    return callable(a) and not isinstance(a, type)


def _closed_for(what, err):
    return ConnectionClosedError("service %s: %s" % (what, err.message))


def _convert(reply, returns, blobs, what):
    if returns is None:
        return reply
    if isinstance(returns, (list, tuple)):
        kinds = list(returns) + [None] * (len(reply) - len(returns))
    else:
        kinds = [returns] * len(reply)
    out = []
    for i, (v, k) in enumerate(zip(reply, kinds)):
        if k is bytes:
            v = _to_bytes(v, blobs, what, i)
        elif k is not None:
            raise TypeError("returns: %r is not bytes or None" % (k,))
        out.append(v)
    return out


def _to_bytes(v, blobs, what, i):
    """A bytes result: a blob index, base64, or null (empty)."""
    if v is None:
        return b""
    if type(v) is int:
        if blobs is None or not 0 <= v < len(blobs):
            raise BadReplyError("service %s: result %d names blob %d, and the response has %d" % (what, i, v, len(blobs or ())))
        return blobs[v]
    if isinstance(v, str):
        try:
            return base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise BadReplyError("service %s: result %d is not base64" % (what, i)) from None
    raise BadReplyError("service %s: result %d is %s, not bytes" % (what, i, _frames.dumps(v)))


class NotHostedClient:
    """The client of a plugin that is not hosted: every call raises
    NotHostedError, so that the plugin still runs without a host."""

    protocol = None

    def _fail(self, *args, **kwargs):
        raise NotHostedError("hostcall: not hosted: the plugin was started without --host-file")

    call = call_all = call_stream = has_namespace = get_manifest = list_services = serve = ping = leave = _fail

    def service(self, namespace, name, **kwargs):
        return self._fail

    def features(self, wait=True):
        return frozenset()

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def connect(urls=None, argv=None, max_frame=DEFAULT_MAX_FRAME):
    """Connects to the host and returns a Client.

    urls are the host URLs (one, opened read-write, or two: input then
    output); by default they are found in argv (sys.argv[1:] by default) as
    --host-file or --host arguments. A plugin without them is not hosted: it
    gets a client whose every call raises NotHostedError, so that it still
    runs.
    """
    if urls is None:
        urls = host_urls(argv)
    if not urls:
        return NotHostedClient()
    return Client(open_urls(urls), max_frame=max_frame)


_default = None
_default_lock = threading.Lock()


def default():
    """The process's client, connected on first use to the host named by
    sys.argv. When connecting fails, the error is raised (and again on the
    next use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = connect()
        return _default
