"""Streams both ways with the scripted host (PROTOCOL.md section 6,
"streams")."""

import gc
import io
import json
import select
import threading
import time
import unittest

import hostcall
from tests.fakehost import FakeHost, call_async
from tests.serving import ServingCase

FEATURES = ("cancel", "timeout", "codes", "blobs", "callbacks", "streams", "serve")
WINDOW = 1 << 20


class Drained(Exception):
    pass


hostcall.register_error("stest.drained", Drained)


def quiet(t, h):
    """Asserts that no frame of the client's is waiting to be read."""
    fr = h.framer
    t.assertEqual(bytes(fr.buf[fr.pos:]).strip(), b"", "the client wrote a frame")
    r, _, _ = select.select([h.c2h_r], [], [], 0.05)
    t.assertEqual(r, [], "the client wrote a frame")


def item_frame(seq, item):
    return json.dumps({"sequence": seq, "more": True, "reply": [item]}, separators=(",", ":")).encode()


class ConsumeTest(unittest.TestCase):
    """Client.call_stream: the host answers with a stream."""

    def setUp(self):
        self.h = FakeHost()
        self.c = self.h.client
        self.addCleanup(self.h.shutdown)

    def open(self, *args, **kwargs):
        self.h.hello(features=FEATURES)
        self.assertIn("streams", self.h.client._hello_json())
        wait = call_async(self.c.call_stream, "stream", "count", *args, **kwargs)
        m, _ = self.h.read()
        self.assertEqual((m["type"], m["namespace"], m["name"]), ("call", "stream", "count"))
        self.h.send({"sequence": m["sequence"], "more": True})
        return m["sequence"], wait()

    def assert_quiet(self):
        """No frame from the client is waiting (the client sent nothing
        more so far)."""
        quiet(self, self.h)

    def test_items_error_and_end(self):
        seq, st = self.open(3)
        self.assertIsInstance(st, hostcall.Stream)
        self.h.send({"sequence": seq, "more": True, "reply": [0]})
        self.h.send({"sequence": seq, "more": True, "reply": [{"a": [1]}]})
        self.h.send({"sequence": seq, "more": True, "blobs": [3], "reply": [0]}, [b"abc"])
        self.h.send({"sequence": seq, "error": "drained after 3", "code": "stest.drained"})
        self.assertEqual(next(st), 0)
        self.assertEqual(next(st), {"a": [1]})
        self.assertEqual(next(st), b"abc")  # a blob item is bytes
        with self.assertRaises(Drained) as e:
            next(st)
        self.assertIsInstance(e.exception, hostcall.ServiceError)
        self.assertEqual(e.exception.message, "drained after 3")
        self.assertEqual(list(st), [])
        st.close()  # ended: no cancel
        self.assert_quiet()

    def test_call_returns_stream_and_returns_bytes(self):
        self.h.hello(features=FEATURES)
        wait = call_async(self.c.call, "stream", "bytes", returns=bytes)
        m, _ = self.h.read()
        seq = m["sequence"]
        self.h.send({"sequence": seq, "more": True})
        self.h.send({"sequence": seq, "more": True, "reply": ["YWJj"]})
        self.h.send({"sequence": seq, "reply": []})
        self.assertEqual(list(wait()), [b"abc"])
        # call_stream refuses an answer that is no stream.
        wait = call_async(self.c.call_stream, "stream", "one")
        m, _ = self.h.read()
        self.h.send({"sequence": m["sequence"], "reply": [1]})
        with self.assertRaises(hostcall.BadReplyError):
            wait()
        # An error before the stream begins is the call's.
        wait = call_async(self.c.call_stream, "stream", "fail")
        m, _ = self.h.read()
        self.h.send({"sequence": m["sequence"], "error": "negative", "code": "service_error"})
        with self.assertRaises(hostcall.ServiceError):
            wait()

    def test_credit_counts_exactly(self):
        seq, st = self.open()
        # Items of odd sizes, some with blobs, with whitespace around them
        # that does not count.
        sizes, sent = [], 0
        i = 0
        while sent < 3 * WINDOW:
            if i % 3 == 2:
                blob = bytes([i % 256]) * (1000 + i)
                frame = b'{"sequence":%d,"more":true,"blobs":[%d],"reply":[0]}' % (seq, len(blob))
                self.h.write(b"  " + frame + b"\n" + blob)
                sizes.append(len(frame) + len(blob))
            else:
                frame = item_frame(seq, "x" * (700 + i * 7 % 3000))
                self.h.write(frame + b" \n\t")
                sizes.append(len(frame))
            sent += sizes[-1]
            i += 1
        self.h.send({"sequence": seq, "reply": []})
        consumed, grants, want = 0, [], []
        for n, size in enumerate(sizes):
            next(st)
            consumed += size
            if consumed >= WINDOW // 2 and n < len(sizes) - 1:
                want.append(consumed)
                consumed = 0
        self.assertEqual(list(st), [])
        # The stream has ended once all is read: the last grant may be
        # left out (the Go end leaves it out once the end arrived).
        while True:
            r, _, _ = select.select([self.h.c2h_r], [], [], 0.5)
            if not r:
                break
            m, _ = self.h.read()
            self.assertEqual((m["sequence"], m["type"]), (seq, "credit"))
            grants.append(m["args"])
        self.assertGreaterEqual(len(want), 4)
        self.assertEqual(grants, want[:len(grants)])
        self.assertEqual(sum(grants), sum(want[:len(grants)]))

    def test_close_cancels(self):
        seq, st = self.open()
        self.h.send({"sequence": seq, "more": True, "reply": [1]})
        with st:
            self.assertEqual(next(st), 1)
        m, _ = self.h.read()
        self.assertEqual(m, {"sequence": seq, "type": "cancel"})
        self.assertEqual(list(st), [])
        self.h.send({"sequence": seq, "error": "context canceled", "code": "canceled"})  # dropped

    def test_generator_exit_and_gc_cancel(self):
        seq, st = self.open()
        self.h.send({"sequence": seq, "more": True, "reply": [1]})

        def first(s):
            for x in s:
                return x

        self.assertEqual(first(st), 1)
        del st
        gc.collect()
        m, _ = self.h.read()
        self.assertEqual(m, {"sequence": seq, "type": "cancel"})

    def test_timeout_and_cancel(self):
        seq, st = self.open(timeout=0.3)
        with self.assertRaises(hostcall.DeadlineExceededError):
            next(st)
        m, _ = self.h.read()
        self.assertEqual(m, {"sequence": seq, "type": "cancel"})
        stop = threading.Event()
        wait = call_async(self.c.call_stream, "stream", "wait", cancel=stop)
        m, _ = self.h.read()
        self.h.send({"sequence": m["sequence"], "more": True})
        st = wait()
        later = call_async(next, st)
        stop.set()
        with self.assertRaises(hostcall.CanceledError):
            later()
        self.assertEqual(self.h.read()[0], {"sequence": m["sequence"], "type": "cancel"})

    def test_connection_end_fails_stream(self):
        seq, st = self.open()
        self.h.send({"sequence": seq, "more": True, "reply": [1]})
        self.h.close()
        self.assertEqual(next(st), 1)
        with self.assertRaises(hostcall.ConnectionClosedError):
            next(st)


class LendStreamTest(unittest.TestCase):
    """An iterator passed to Client.call is lent as a stream."""

    def setUp(self):
        self.h = FakeHost()
        self.c = self.h.client
        self.addCleanup(self.h.shutdown)

    def test_without_streams(self):
        self.h.hello(features=("cancel", "callbacks"))
        with self.assertRaises(hostcall.HostcallError) as e:
            self.c.call("host", "sum", iter([1, 2]))
        self.assertIn('"streams"', str(e.exception))

    def test_lend_paced_by_credit(self):
        self.h.hello(features=FEATURES)
        produced = []

        def gen():
            for i in range(20):
                produced.append(i)
                yield bytes([i]) * (100 << 10)

        wait = call_async(self.c.call, "host", "sum", gen())
        m, _ = self.h.read()
        self.assertEqual(m["args"], [{"callback": 1}])
        self.h.send({"sequence": 5, "type": "callback", "callback": 1, "args": []})
        self.assertEqual(self.h.read()[0], {"sequence": 5, "more": True})
        credit, got = WINDOW, 0
        while credit > 0:
            f, blobs = self.h.read()
            self.assertEqual((f["more"], f["reply"]), (True, [0]))
            self.assertEqual(blobs[0], bytes([got]) * (100 << 10))
            credit -= len(json.dumps(f, separators=(",", ":"))) + len(blobs[0])
            got += 1
        self.assertEqual(got, 11)
        time.sleep(0.2)  # room for a producer that would not wait (no timing is asserted)
        quiet(self, self.h)
        self.assertLessEqual(len(produced), 12)
        self.h.send({"sequence": 5, "type": "credit", "args": "lots"})  # ignored
        self.h.send({"sequence": 5, "type": "credit", "args": 10 << 20})
        while True:
            f, blobs = self.h.read()
            if not f.get("more"):
                break
            got += 1
        self.assertEqual(f, {"sequence": 5, "reply": []})
        self.assertEqual(got, 20)
        self.h.send({"sequence": m["sequence"], "reply": []})
        self.assertIsNone(wait())


def counter(n):
    for i in range(n):
        yield i


class ServeStreamTest(ServingCase):
    host_features = FEATURES

    def registry(self):
        reg = hostcall.Registry()
        self.gen_closed = threading.Event()

        @reg.service("s")
        def count(n):
            return counter(n)

        @reg.service("s")
        def fail(n):
            for i in range(n):
                yield "x" * i
            raise Drained("failed after %d" % n)

        @reg.service("s")
        def forever(ctx):
            try:
                i = 0
                while True:
                    yield "y" * 100000
                    i += 1
            finally:
                self.gen_closed.set()

        @reg.service("s")
        def data(n):
            return io.BytesIO(b"ab" * n)

        @reg.service("s")
        def values():
            return [1, 2]  # a list is one result

        @reg.service("s")
        def total(xs):
            return sum(xs)  # xs: a Callback; iterating it opens the host's stream

        return reg

    def read_stream(self, seq):
        items = []
        first, _ = self.h.read()
        self.assertEqual(first, {"sequence": seq, "more": True})
        while True:
            f, blobs = self.h.read()
            self.assertEqual(f["sequence"], seq)
            if not f.get("more"):
                return items, f
            items.append(blobs[f["reply"][0]] if blobs else f["reply"][0])

    def test_hello_lists_streams(self):
        self.assertIn("streams", self.serve_hello["args"]["features"])

    def test_count(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "s", "name": "count", "args": [3]})
        items, end = self.read_stream(seq)
        self.assertEqual((items, end), ([0, 1, 2], {"sequence": seq, "reply": []}))
        self.assertEqual(self.call("s", "values")["reply"], [[1, 2]])

    def test_fail(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "s", "name": "fail", "args": [2]})
        items, end = self.read_stream(seq)
        self.assertEqual(items, ["", "x"])
        self.assertEqual(end, {"sequence": seq, "error": "failed after 2", "code": "stest.drained"})

    def test_file(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "s", "name": "data", "args": [40000]})
        items, end = self.read_stream(seq)
        self.assertEqual([len(b) for b in items], [65536, 80000 - 65536])
        self.assertEqual(b"".join(items), b"ab" * 40000)
        self.assertEqual(end, {"sequence": seq, "reply": []})

    def test_stream_argument_received(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "s", "name": "total", "args": [{"callback": 4}]})
        m, _ = self.h.read()
        self.assertEqual((m["type"], m["callback"], m["args"]), ("callback", 4, []))
        self.h.send({"sequence": m["sequence"], "more": True})
        for i in range(1, 4):
            self.h.send({"sequence": m["sequence"], "more": True, "reply": [i]})
        self.h.send({"sequence": m["sequence"], "reply": []})
        self.assertEqual(self.h.read()[0], {"sequence": seq, "reply": [6]})

    def test_cancel_while_waiting_for_credit(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "s", "name": "forever", "args": []})
        self.assertEqual(self.h.read()[0], {"sequence": seq, "more": True})
        credit = WINDOW
        while credit > 0:
            f, _ = self.h.read()
            credit -= len(json.dumps(f, separators=(",", ":")))
        self.h.send({"sequence": seq, "type": "cancel"})
        f, _ = self.h.read()
        self.assertEqual(f, {"sequence": seq, "error": "context canceled", "code": "canceled"})
        self.assertTrue(self.gen_closed.wait(10))


class NoStreamsHostTest(ServingCase):
    host_features = ("cancel", "timeout", "codes", "blobs", "callbacks", "serve")

    def registry(self):
        return {"s": {"count": lambda n: counter(n)}}

    def test_bad_request(self):
        m = self.call("s", "count", 3)
        self.assertEqual(m["code"], "bad_request")
        self.assertIn('"streams"', m["error"])


if __name__ == "__main__":
    unittest.main()
