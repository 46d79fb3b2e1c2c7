"""The client against a scripted host on real pipes."""

import base64
import threading
import time
import unittest

import hostcall
from tests.fakehost import FakeHost, call_async


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.h = FakeHost()
        self.c = self.h.client
        self.addCleanup(self.h.shutdown)

    def test_call_protocol2(self):
        hello = self.h.hello()
        self.assertEqual(hello["sequence"], 1)
        self.assertEqual(hello["args"]["protocol"], 2)
        self.assertEqual(self.c.protocol, 2)
        wait = call_async(self.c.call, "calc", "add", 1, 2)
        m, _ = self.h.read()
        self.assertEqual(m, {"sequence": 2, "type": "call", "namespace": "calc", "name": "add", "args": [1, 2]})
        self.h.send({"sequence": 2, "reply": [3]})
        self.assertEqual(wait(), 3)

    def test_frames_are_compact_lines_sequence_first(self):
        self.h.hello()
        wait = call_async(self.c.call, "calc", "add", 1, "x")
        f = self.h.framer.next()
        self.assertEqual(f.data, b'{"sequence":2,"type":"call","namespace":"calc","name":"add","args":[1,"x"]}')
        self.h.send({"sequence": 2, "reply": [1, "two"]})
        self.assertEqual(wait(), (1, "two"))

    def test_results(self):
        self.h.hello()
        for reply, want in (([], None), (None, None), ([[1, 2]], [1, 2]), ([1, None], (1, None))):
            wait = call_async(self.c.call, "ns", "f")
            m, _ = self.h.read()
            self.h.send({"sequence": m["sequence"], "reply": reply})
            self.assertEqual(wait(), want, reply)
        wait = call_async(self.c.call_all, "ns", "f")
        m, _ = self.h.read()
        self.h.send({"sequence": m["sequence"], "reply": [5]})
        self.assertEqual(wait(), [5])

    def test_service_stub(self):
        self.h.hello()
        add = self.c.service("calc", "add")
        wait = call_async(add, 4, 5)
        m, _ = self.h.read()
        self.assertEqual(m["args"], [4, 5])
        self.h.send({"sequence": m["sequence"], "reply": [9]})
        self.assertEqual(wait(), 9)

    def test_namespace_requests(self):
        self.h.hello()
        wait = call_async(self.c.has_namespace, "calc")
        m, _ = self.h.read()
        self.assertEqual((m["type"], m["namespace"]), ("hasNamespace", "calc"))
        self.h.send({"sequence": m["sequence"], "ok": True})
        self.assertTrue(wait())
        wait = call_async(self.c.has_namespace, "nope")
        m, _ = self.h.read()
        self.h.send({"sequence": m["sequence"]})  # ok omitted when false
        self.assertFalse(wait())
        wait = call_async(self.c.get_manifest, "calc")
        m, _ = self.h.read()
        self.assertEqual(m["type"], "getManifest")
        self.h.send({"sequence": m["sequence"], "reply": {"a": [1]}})
        self.assertEqual(wait(), {"a": [1]})
        wait = call_async(self.c.list_services, "calc")
        m, _ = self.h.read()
        self.assertEqual(m["type"], "listServices")
        self.h.send({"sequence": m["sequence"], "services": ["sub", "add"]})
        self.assertEqual(wait(), ["add", "sub"])

    def test_error_codes(self):
        self.h.hello()
        cases = [
            ("unknown_namespace", hostcall.UnknownNamespaceError),
            ("unknown_service", hostcall.UnknownServiceError),
            ("bad_request", hostcall.BadRequestError),
            ("bad_arguments", hostcall.BadArgumentsError),
            ("service_error", hostcall.ServiceError),
            ("panic", hostcall.ServicePanicError),
            ("canceled", hostcall.CanceledError),
            ("deadline_exceeded", hostcall.DeadlineExceededError),
            ("too_large", hostcall.TooLargeError),
            ("unavailable", hostcall.UnavailableError),
            ("some_future_code", hostcall.RemoteError),
        ]
        for code, cls in cases:
            wait = call_async(self.c.call, "calc", "f")
            m, _ = self.h.read()
            self.h.send({"sequence": m["sequence"], "error": "it failed: " + code, "code": code, "reply": [1]})
            with self.assertRaises(cls) as cm:
                wait()
            self.assertIs(type(cm.exception), cls)
            self.assertEqual(cm.exception.code, code)
            self.assertEqual(cm.exception.message, "it failed: " + code)
            self.assertIsInstance(cm.exception, hostcall.RemoteError)
        self.assertTrue(issubclass(hostcall.DeadlineExceededError, TimeoutError))

    def test_timeout_travels_and_cancels(self):
        self.h.hello()
        wait = call_async(self.c.call, "calc", "sleep", 1, timeout=0.3)
        m, _ = self.h.read()
        self.assertGreater(m["timeout"], 0)
        self.assertLessEqual(m["timeout"], 300_000_000)
        with self.assertRaises(hostcall.DeadlineExceededError) as cm:
            wait()
        self.assertEqual(cm.exception.code, "deadline_exceeded")
        c, _ = self.h.read()
        self.assertEqual(c, {"sequence": m["sequence"], "type": "cancel"})
        # The late response is dropped; the connection goes on.
        self.h.send({"sequence": m["sequence"], "error": "late", "code": "deadline_exceeded"})
        wait = call_async(self.c.call, "calc", "add", 1, 2)
        m2, _ = self.h.read()
        self.h.send({"sequence": m2["sequence"], "reply": [3]})
        self.assertEqual(wait(), 3)

    def test_cancel_event(self):
        self.h.hello()
        stop = threading.Event()
        wait = call_async(self.c.call, "calc", "sleep", 1, cancel=stop)
        m, _ = self.h.read()
        self.assertNotIn("timeout", m)
        stop.set()
        with self.assertRaises(hostcall.CanceledError):
            wait()
        c, _ = self.h.read()
        self.assertEqual(c, {"sequence": m["sequence"], "type": "cancel"})

    def test_cancel_before_call(self):
        self.h.hello()
        stop = threading.Event()
        stop.set()
        with self.assertRaises(hostcall.CanceledError):
            self.c.call("calc", "sleep", 1, cancel=stop)

    def test_blobs_both_ways(self):
        self.h.hello()
        big = bytes(range(256)) * 3
        small = b"\x00\xff" * 10
        wait = call_async(self.c.call, "calc", "echo", big, small, bytearray(600), returns=(bytes, bytes, None))
        m, blobs = self.h.read()
        self.assertEqual(m["args"], [0, base64.b64encode(small).decode(), 1])
        self.assertEqual(m["blobs"], [768, 600])
        self.assertEqual(blobs, [big, bytes(600)])
        self.h.send({"sequence": m["sequence"], "reply": [1, base64.b64encode(small).decode(), 0], "blobs": [3, 768]}, [b"abc", big])
        self.assertEqual(wait(), (big, small, 0))

    def test_returns_bytes(self):
        self.h.hello()
        for reply, blobs, want in (([None], [], b""), (["aGk="], [], b"hi"), ([0], [b"xyz"], b"xyz")):
            wait = call_async(self.c.call, "calc", "echo", b"", returns=bytes)
            m, _ = self.h.read()
            frame = {"sequence": m["sequence"], "reply": reply}
            if blobs:
                frame["blobs"] = [len(b) for b in blobs]
            self.h.send(frame, blobs)
            self.assertEqual(wait(), want)
        for reply in ([5], ["not base64!"], [{"a": 1}]):
            wait = call_async(self.c.call, "calc", "echo", b"", returns=bytes)
            m, _ = self.h.read()
            self.h.send({"sequence": m["sequence"], "reply": reply})
            with self.assertRaises(hostcall.BadReplyError):
                wait()

    def test_nested_bytes_travel_as_base64(self):
        self.h.hello()
        wait = call_async(self.c.call, "ns", "f", [b"\x01" * 600], {"k": b"ab"})
        m, blobs = self.h.read()
        self.assertEqual(m["args"], [[base64.b64encode(b"\x01" * 600).decode()], {"k": "YWI="}])
        self.assertNotIn("blobs", m)
        self.h.send({"sequence": m["sequence"], "reply": []})
        self.assertIsNone(wait())

    def test_unencodable_argument(self):
        self.h.hello()
        with self.assertRaises(hostcall.HostcallError) as cm:
            self.c.call("ns", "f", object())
        self.assertIn("ns.f", str(cm.exception))
        with self.assertRaises(hostcall.HostcallError):
            self.c.call("ns", "f", float("nan"))

    def test_request_over_peer_limit_refused_locally(self):
        self.h.hello(max_frame=1000)
        with self.assertRaises(hostcall.TooLargeError) as cm:
            self.c.call("calc", "echo", b"x" * 2000)
        self.assertIn("over the frame limit of 1000", str(cm.exception))

    def test_concurrent_calls_routed_by_sequence(self):
        self.h.hello()
        waits = {n: call_async(self.c.call, "calc", "id", n) for n in range(20)}
        got = [self.h.read()[0] for _ in range(20)]
        for m in reversed(got):  # answered in reverse order
            self.h.send({"sequence": m["sequence"], "reply": [m["args"][0] * 10]})
        for n, wait in waits.items():
            self.assertEqual(wait(), n * 10)

    def test_host_requests_answered_bad_request(self):
        self.h.hello()
        self.h.send({"sequence": 77, "type": "call", "namespace": "plugin", "name": "f", "args": []})
        m, _ = self.h.read()
        self.assertEqual(m, {"sequence": 77, "error": 'this plugin serves no requests (got "call")', "code": "bad_request"})
        # A request whose sequence is that of a pending call is not its reply.
        wait = call_async(self.c.call, "calc", "add", 1, 2)
        call, _ = self.h.read()
        self.h.send({"sequence": call["sequence"], "type": "hello", "args": {}})
        ans, _ = self.h.read()
        self.assertEqual(ans["code"], "bad_request")
        self.h.send({"sequence": call["sequence"], "reply": [3]})
        self.assertEqual(wait(), 3)

    def test_bad_frames_fail_only_their_call(self):
        self.h.hello()
        w1 = call_async(self.c.call, "calc", "a")
        s1 = self.h.read()[0]["sequence"]
        w2 = call_async(self.c.call, "calc", "b")
        s2 = self.h.read()[0]["sequence"]
        w3 = call_async(self.c.call, "calc", "c")
        s3 = self.h.read()[0]["sequence"]
        # Garbage, a frame without sequence, a reply to nobody, a malformed
        # frame for s1 broken off by a newline, a duplicate sequence naming
        # s2 first, then a good reply for s3: no separators between some.
        self.h.write('junk}]"{"reply":[0]}{"sequence":999,"reply":[0]}'
                     '{"sequence":%d,"reply":[1,}\n'
                     '{"sequence":%d,"sequence":%d,"reply":[2]}{"sequence":%d , "reply" : [3] }' % (s1, s2, s3, s3))
        with self.assertRaises(hostcall.BadReplyError) as cm:
            w1()
        self.assertIn("malformed", str(cm.exception))
        with self.assertRaises(hostcall.BadReplyError) as cm:
            w2()
        self.assertIn("duplicate member sequence", str(cm.exception))
        self.assertEqual(w3(), 3)

    def test_wrong_member_types(self):
        self.h.hello()
        for frame in ('{"sequence":%d,"error":5}', '{"sequence":%d,"ok":"yes"}', '{"sequence":%d,"services":[1]}',
                      '{"sequence":%d,"reply":7}'):
            wait = call_async(self.c.call, "calc", "f")
            s = self.h.read()[0]["sequence"]
            self.h.write(frame % s + "\n")
            with self.assertRaises(hostcall.BadReplyError):
                wait()

    def test_malformed_frame_with_blobs_keeps_stream_in_step(self):
        self.h.hello()
        w1 = call_async(self.c.call, "calc", "a", returns=bytes)
        s1 = self.h.read()[0]["sequence"]
        w2 = call_async(self.c.call, "calc", "b", returns=bytes)
        s2 = self.h.read()[0]["sequence"]
        # s1's frame is malformed after its blobs member: its blob of 5 bytes
        # (holding a '{') follows the end of its line and is consumed.
        self.h.write('{"sequence":%d,"blobs":[5],"reply":[0x]} trailing\n{{{{{' % s1)
        self.h.send({"sequence": s2, "reply": [0], "blobs": [2]}, [b"ok"])
        with self.assertRaises(hostcall.BadReplyError):
            w1()
        self.assertEqual(w2(), b"ok")

    def test_response_over_limit(self):
        h = FakeHost(max_frame=200)
        self.addCleanup(h.shutdown)
        h.hello()
        w1 = call_async(h.client.call, "calc", "big")
        s1 = h.read()[0]["sequence"]
        w2 = call_async(h.client.call, "calc", "small")
        s2 = h.read()[0]["sequence"]
        h.send({"sequence": s1, "reply": ["x" * 1000]})
        h.send({"sequence": s2, "reply": [0], "blobs": [300]}, [b"y" * 300])
        w3 = call_async(h.client.call, "calc", "after")
        s3 = h.read()[0]["sequence"]
        h.send({"sequence": s3, "reply": ["fine"]})
        with self.assertRaises(hostcall.TooLargeError):
            w1()
        with self.assertRaises(hostcall.TooLargeError):
            w2()
        self.assertEqual(w3(), "fine")

    def test_host_goes_away(self):
        self.h.hello()
        wait = call_async(self.c.call, "calc", "sleep", 1)
        self.h.read()
        self.h.close()
        with self.assertRaises(hostcall.ConnectionClosedError) as cm:
            wait()
        self.assertIsInstance(cm.exception, ConnectionError)
        with self.assertRaises(hostcall.ConnectionClosedError):
            self.c.call("calc", "add", 1, 2)

    def test_host_dies_mid_frame(self):
        self.h.hello()
        wait = call_async(self.c.call, "calc", "f")
        s = self.h.read()[0]["sequence"]
        self.h.write('{"sequence":%d,"reply":[1' % s)
        self.h.close()
        with self.assertRaises(hostcall.ConnectionClosedError) as cm:
            wait()
        self.assertIn("inside a frame", str(cm.exception))

    def test_close_fails_pending_calls(self):
        self.h.hello()
        wait = call_async(self.c.call, "calc", "sleep", 1)
        self.h.read()
        self.c.close()
        with self.assertRaises(hostcall.ConnectionClosedError):
            wait()


class Protocol1Test(unittest.TestCase):
    """A protocol 1 host answers hello with an error, codes nothing, and
    knows no timeouts, cancels or blobs."""

    def setUp(self):
        self.h = FakeHost()
        self.c = self.h.client
        self.addCleanup(self.h.shutdown)
        self.h.hello(protocol=1)

    def test_fallback(self):
        self.assertEqual(self.c.protocol, 1)
        self.assertEqual(self.c.features(), frozenset())
        big = b"z" * 1000
        stop = threading.Event()
        wait = call_async(self.c.call, "calc", "echo", big, timeout=0.3, cancel=stop, returns=bytes)
        m, blobs = self.h.read()
        self.assertNotIn("timeout", m)
        self.assertNotIn("blobs", m)
        self.assertEqual(m["args"], [base64.b64encode(big).decode()])
        with self.assertRaises(hostcall.DeadlineExceededError):
            wait()
        # No cancel frame: the next frame the host reads is the next call.
        wait = call_async(self.c.call, "calc", "add", 1, 2)
        m2, _ = self.h.read()
        self.assertEqual(m2["type"], "call")
        self.h.send({"sequence": m2["sequence"], "reply": [3]})
        self.assertEqual(wait(), 3)

    def test_protocol1_style_frames(self):
        # The reference Python host of protocol 1: no separators, spaces,
        # sequence last.
        w1 = call_async(self.c.call, "calc", "add", 1, 2)
        s1 = self.h.read()[0]["sequence"]
        w2 = call_async(self.c.call, "calc", "nope")
        s2 = self.h.read()[0]["sequence"]
        self.h.write('{"reply": [3], "sequence": %d}{"error": "undefined service \\"nope\\"", "sequence": %d}' % (s1, s2))
        self.assertEqual(w1(), 3)
        with self.assertRaises(hostcall.RemoteError) as cm:
            w2()
        self.assertIs(type(cm.exception), hostcall.RemoteError)
        self.assertIsNone(cm.exception.code)
        self.assertEqual(cm.exception.message, 'undefined service "nope"')


class NotHostedTest(unittest.TestCase):
    def test_calls_fail(self):
        c = hostcall.connect(argv=["demo"])
        self.assertFalse(hostcall.hosted(["demo"]))
        for f in (lambda: c.call("calc", "add", 1, 2), lambda: c.service("calc", "add")(1, 2),
                  lambda: c.has_namespace("calc"), lambda: c.get_manifest("x"), lambda: c.list_services("x")):
            with self.assertRaises(hostcall.NotHostedError):
                f()
        c.close()


if __name__ == "__main__":
    unittest.main()
