"""Serving functions to the scripted host (PROTOCOL.md section 6, serve)."""

import base64
import unittest
from typing import Optional

import hostcall
from hostcall.errors import remote_error
from tests.fakehost import FakeHost, call_async
from tests.serving import ALL_FEATURES, Gate, ServingCase


class Full(Exception):
    pass


class Limit(Exception):
    def __init__(self, asked):
        super().__init__("%d is below 0" % asked)
        self.Min, self.Asked = 0, asked


hostcall.register_error("ttest.full", Full)
hostcall.register_error("ttest.limit", Limit, fields=("Min", "Asked"))


class ServeTest(ServingCase):
    def registry(self):
        self.gate = Gate()
        self.seen = {}
        reg = hostcall.Registry({
            "calc": {
                "add": lambda a, b: a + b,
                "pair": lambda: (7, "seven"),
                "nothing": lambda: None,
                "list": lambda: [1, 2],
                "null": lambda: (None,),
                "sum": lambda *xs: sum(xs),
            },
            "empty": {},
        })
        reg.define("calc", {"description": "arithmetic"})

        @reg.service("calc")
        def echo(b: bytes, s: Optional[bytes] = None):
            return b, s

        @reg.service("calc")
        def size(b: "bytes"):  # an annotation left as text
            return len(b)

        @reg.service("errs")
        def fail(kind):
            if kind == "value":
                raise ValueError("bad value")
            if kind == "empty":
                raise KeyError()
            if kind == "full":
                raise Full("the disk is full")
            if kind == "limit":
                raise Limit(-1)
            if kind == "relay":
                raise remote_error("passed on", "other.code", {"a": 1})
            if kind == "exit":
                raise SystemExit(3)

        @reg.service("errs")
        def unencodable():
            return object()

        @reg.service("ctx")
        def first(ctx, x):
            self.seen["first"] = ctx
            return x

        @reg.service("ctx")
        def keyword(x, *, ctx):
            self.seen["keyword"] = ctx
            return x

        @reg.service("ctx")
        def wait(ctx):
            self.gate.entered.set()
            ctx.wait()
            self.seen["reason"] = ctx.reason
            ctx.check()

        @reg.service("ctx")
        def ignore(ctx):
            self.gate.entered.set()
            ctx.wait()
            return "done anyway"

        @reg.service("ctx")
        def remaining(ctx):
            return ctx.remaining()

        @reg.service("ctx")
        def gated():
            self.gate.pass_through()
            return "through"

        @reg.service("nest")
        def add(ctx, a, b):
            return ctx.call("calc", "add", a, b)

        return reg

    def test_says_it_serves(self):
        self.assertEqual(self.serve_hello["args"]["features"], list(hostcall.FEATURES) + ["serve"])
        self.assertIn("callbacks", self.serve_hello["args"]["features"])

    def test_calls_and_results(self):
        self.assertEqual(self.call("calc", "add", 1, 2), {"sequence": self.seq, "reply": [3]})
        for name, want in (("pair", [7, "seven"]), ("nothing", []), ("list", [[1, 2]]), ("null", [None])):
            self.assertEqual(self.call("calc", name)["reply"], want, name)
        self.assertEqual(self.call("calc", "sum", 1, 2, 3)["reply"], [6])
        m, _ = self.ask({"type": "call", "namespace": "calc", "name": "nothing"})  # no args member
        self.assertEqual(m["reply"], [])

    def test_frames_are_compact_lines_sequence_first(self):
        self.h.send({"sequence": 5, "type": "call", "namespace": "calc", "name": "add", "args": [1, 2]})
        self.assertEqual(self.h.framer.next().data, b'{"sequence":5,"reply":[3]}')

    def test_namespace_requests(self):
        self.assertEqual(self.ask({"type": "hasNamespace", "namespace": "calc"})[0], {"sequence": self.seq, "ok": True})
        self.assertEqual(self.ask({"type": "hasNamespace", "namespace": "empty"})[0], {"sequence": self.seq, "ok": True})
        self.assertEqual(self.ask({"type": "hasNamespace", "namespace": "nope"})[0], {"sequence": self.seq})
        self.assertEqual(self.ask({"type": "getManifest", "namespace": "calc"})[0]["reply"], {"description": "arithmetic"})
        m = self.ask({"type": "getManifest", "namespace": "errs"})[0]
        self.assertIn("reply", m)
        self.assertIsNone(m["reply"])
        self.assertEqual(self.ask({"type": "listServices", "namespace": "calc"})[0]["services"],
                         ["add", "echo", "list", "nothing", "null", "pair", "size", "sum"])
        self.assertEqual(self.ask({"type": "listServices", "namespace": "empty"})[0], {"sequence": self.seq})
        for typ in ("getManifest", "listServices"):
            m = self.ask({"type": typ, "namespace": "nope"})[0]
            self.assertEqual(m, {"sequence": self.seq, "error": 'nope: unknown namespace "nope"', "code": "unknown_namespace"})

    def test_unknown(self):
        self.assertEqual(self.call("nope", "f"), {"sequence": self.seq, "error": 'nope.f: unknown namespace "nope"', "code": "unknown_namespace"})
        self.assertEqual(self.call("calc", "mul"), {"sequence": self.seq, "error": "calc.mul: unknown service", "code": "unknown_service"})
        m = self.ask({"type": "launch"})[0]
        self.assertEqual(m, {"sequence": self.seq, "error": 'unknown request type "launch"', "code": "bad_request"})

    def test_bad_arguments(self):
        for args, why in (
            ([1], "calc.add: bad arguments: missing a required argument: 'b'"),
            ([1, 2, 3], "calc.add: bad arguments: too many positional arguments"),
            ({"a": 1}, 'calc.add: bad arguments: args is {"a":1}, not an array'),
        ):
            m = self.ask({"type": "call", "namespace": "calc", "name": "add", "args": args})[0]
            self.assertEqual(m, {"sequence": self.seq, "error": why, "code": "bad_arguments"})
        for args, why in (
            ([3], "calc.echo: bad arguments: argument 0 names blob 3, and the request has 0"),
            (["not base64!"], "calc.echo: bad arguments: argument 0 is not base64"),
            ([{"a": 1}], 'calc.echo: bad arguments: argument 0 is {"a":1}, not bytes'),
            ([None, 2.5], "calc.echo: bad arguments: argument 1 is 2.5, not bytes"),
        ):
            self.assertEqual(self.call("calc", "echo", *args), {"sequence": self.seq, "error": why, "code": "bad_arguments"})

    def test_bytes(self):
        big = bytes(range(256)) * 4
        m, blobs = self.ask({"type": "call", "namespace": "calc", "name": "echo", "args": [0, "aGk="], "blobs": [1024]}, [big])
        self.assertEqual(m, {"sequence": self.seq, "blobs": [1024], "reply": [0, "aGk="]})  # big as a blob, small as base64
        self.assertEqual(blobs, [big])
        self.assertEqual(self.call("calc", "echo", None, None)["reply"], ["", ""])  # null is b"", for Optional[bytes] too
        self.assertEqual(self.call("calc", "size", base64.b64encode(b"12345").decode())["reply"], [5])

    def test_service_errors(self):
        self.assertEqual(self.call("errs", "fail", "value"), {"sequence": self.seq, "error": "bad value", "code": "service_error"})
        self.assertEqual(self.call("errs", "fail", "empty"), {"sequence": self.seq, "error": "KeyError", "code": "service_error"})
        self.assertEqual(self.call("errs", "fail", "exit"), {"sequence": self.seq, "error": "3", "code": "service_error"})
        self.assertEqual(self.call("errs", "fail", "full"), {"sequence": self.seq, "error": "the disk is full", "code": "ttest.full"})
        self.assertEqual(self.call("errs", "fail", "limit"),
                         {"sequence": self.seq, "error": "-1 is below 0", "code": "ttest.limit", "detail": {"Min": 0, "Asked": -1}})
        # An error received from the host and passed on keeps its code and detail.
        self.assertEqual(self.call("errs", "fail", "relay"),
                         {"sequence": self.seq, "error": "passed on", "code": "other.code", "detail": {"a": 1}})
        m = self.call("errs", "unencodable")
        self.assertEqual(m["code"], "service_error")
        self.assertIn("errs.unencodable: result cannot be encoded: object value", m["error"])
        # The functions after still run: the pool lost no worker.
        self.assertEqual(self.call("calc", "add", 1, 2)["reply"], [3])

    def test_context(self):
        self.assertEqual(self.call("ctx", "first", 5)["reply"], [5])
        self.assertEqual(self.call("ctx", "keyword", 6)["reply"], [6])
        self.assertIsInstance(self.seen["first"], hostcall.Context)
        self.assertIsNone(self.seen["first"].deadline)
        self.assertEqual(self.call("ctx", "remaining")["reply"], [])  # None: no results
        left = self.call("ctx", "remaining", timeout=60 * 10**9)["reply"][0]
        self.assertGreater(left, 0)
        self.assertLessEqual(left, 60)
        self.assertEqual(self.call("ctx", "first")["code"], "bad_arguments")  # ctx is no argument of the wire

    def test_cancel(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "ctx", "name": "wait", "args": []})
        self.assertTrue(self.gate.entered.wait(10))
        self.h.send({"sequence": seq, "type": "cancel"})
        m, _ = self.h.read()
        self.assertEqual(m, {"sequence": seq, "error": "context canceled", "code": "canceled"})
        self.assertEqual(self.seen["reason"], "canceled")
        # A cancel for no call is ignored; a function that ignores its
        # context still answers what it returns.
        self.h.send({"sequence": 9999, "type": "cancel"})
        self.gate.entered.clear()
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "ctx", "name": "ignore", "args": []})
        self.assertTrue(self.gate.entered.wait(10))
        self.h.send({"sequence": seq, "type": "cancel"})
        self.assertEqual(self.h.read()[0], {"sequence": seq, "reply": ["done anyway"]})

    def test_timeout(self):
        m = self.call("ctx", "wait", timeout=1_000_000)  # 1 ms: it may pass before the function starts
        self.assertEqual(m["code"], "deadline_exceeded")
        self.assertIn(m["error"], ("context deadline exceeded", "call %d (ctx.wait) did not start: context deadline exceeded" % self.seq))
        m = self.call("ctx", "first", 1, timeout=-1)  # expired on arrival
        self.assertEqual(m["code"], "deadline_exceeded")
        self.assertIn("did not start", m["error"])

    def test_duplicate_sequence(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "ctx", "name": "gated", "args": []})
        self.assertTrue(self.gate.entered.wait(10))
        self.h.send({"sequence": seq, "type": "call", "namespace": "calc", "name": "add", "args": [1, 2]})
        m, _ = self.h.read()
        self.assertEqual(m, {"sequence": seq, "error": "sequence %d is already in flight (calc.add): sequences must not be reused" % seq,
                             "code": "bad_request"})
        self.h.send({"sequence": seq, "type": "hasNamespace", "namespace": "calc"})
        self.assertEqual(self.h.read()[0]["code"], "bad_request")
        self.gate.release.set()
        self.assertEqual(self.h.read()[0], {"sequence": seq, "reply": ["through"]})
        self.assertEqual(self.ask({"sequence": seq, "type": "call", "namespace": "calc", "name": "add", "args": [1, 2]})[0]["reply"], [3])

    def test_nested_call_to_the_host(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "nest", "name": "add", "args": [1, 2], "timeout": 60 * 10**9})
        m, _ = self.h.read()  # the plugin's own call, in its own sequence space
        self.assertEqual((m["type"], m["namespace"], m["name"], m["args"]), ("call", "calc", "add", [1, 2]))
        self.assertLessEqual(m["timeout"], 60 * 10**9)  # the outer call's deadline travels on
        self.h.send({"sequence": m["sequence"], "reply": [3]})
        self.assertEqual(self.h.read()[0], {"sequence": seq, "reply": [3]})

    def test_cancel_reaches_the_nested_call(self):
        seq = self.next_seq()
        self.h.send({"sequence": seq, "type": "call", "namespace": "nest", "name": "add", "args": [1, 2]})
        nested, _ = self.h.read()
        self.h.send({"sequence": seq, "type": "cancel"})
        frames = [self.h.read()[0], self.h.read()[0]]
        self.assertIn({"sequence": nested["sequence"], "type": "cancel"}, frames)
        answer = [f for f in frames if f.get("type") is None][0]
        self.assertEqual((answer["sequence"], answer["code"]), (seq, "canceled"))
        # The nested call's late answer is dropped (the host serves): the
        # next frame the plugin writes is the answer to the next request.
        self.h.send({"sequence": nested["sequence"], "reply": [3]})
        self.assertEqual(self.call("calc", "add", 2, 2), {"sequence": self.seq, "reply": [4]})

    def test_host_hello(self):
        m, _ = self.ask({"type": "hello", "args": {"protocol": 2, "features": ["cancel", "serve"], "maxFrame": 1000}})
        self.assertEqual(m["reply"]["features"], list(hostcall.FEATURES) + ["serve"])
        self.assertEqual(self.c._send_limit(), 1000)  # the latest hello counts
        self.assertEqual(self.c.features(), frozenset({"cancel"}))

    def test_frame_without_type(self):
        # The host serves: a frame without a type that answers no call is
        # the late answer to a call the plugin gave up on: dropped.
        self.h.send({"sequence": 77, "reply": [1]})
        self.assertEqual(self.call("calc", "add", 1, 1)["reply"], [2])


class ServeToHostThatDoesNotServeTest(ServingCase):
    host_features = ("cancel", "timeout", "codes", "blobs")

    def registry(self):
        return {"calc": {"add": lambda a, b: a + b}}

    def test_frame_without_type_answered(self):
        self.assertEqual(self.ask({"sequence": 77, "reply": [1]})[0],
                         {"sequence": 77, "error": "frame 77 has no type: not a request", "code": "bad_request"})
        m, _ = self.ask({"sequence": 78, "type": ""})
        self.assertEqual(m["error"], "frame 78 has no type: not a request")

    def test_bad_frames_answered(self):
        self.h.write('{"sequence":80,"type":"call","args":[1,,2]}\n')
        m, _ = self.h.read()
        self.assertEqual((m["sequence"], m["code"]), (80, "bad_request"))
        self.assertIn("malformed", m["error"])
        self.h.write('{"sequence":81,"type":"call","namespace":5}\n')
        self.assertEqual(self.h.read()[0], {"sequence": 81, "error": "invalid frame: namespace is not a string", "code": "bad_request"})
        self.h.write('{"sequence":82,"type":"call","timeout":1.5}\n')
        self.assertEqual(self.h.read()[0]["code"], "bad_request")
        self.assertEqual(self.call("calc", "add", 1, 2)["reply"], [3])


class QueueTest(ServingCase):
    max_workers = 1

    def registry(self):
        self.gate = Gate()
        return {"q": {"gated": lambda: self.gate.pass_through() or "through", "add": lambda a, b: a + b}}

    def test_cancel_of_a_queued_call(self):
        self.h.send({"sequence": 1, "type": "call", "namespace": "q", "name": "gated", "args": []})
        self.assertTrue(self.gate.entered.wait(10))
        self.h.send({"sequence": 2, "type": "call", "namespace": "q", "name": "add", "args": [1, 2]})
        self.h.send({"sequence": 2, "type": "cancel"})
        self.assertEqual(self.h.read()[0], {"sequence": 2, "error": "call 2 (q.add) canceled before it started", "code": "canceled"})
        self.h.send({"sequence": 3, "type": "call", "namespace": "q", "name": "add", "args": [2, 2]})
        self.gate.release.set()
        self.assertEqual(self.h.read()[0], {"sequence": 1, "reply": ["through"]})
        self.assertEqual(self.h.read()[0], {"sequence": 3, "reply": [4]})


class ServeLifecycleTest(unittest.TestCase):
    def test_returns_when_the_host_closes(self):
        h = FakeHost()
        self.addCleanup(h.shutdown)
        h.hello(features=ALL_FEATURES)
        gate = Gate()
        seen = {}

        def wait(ctx):
            gate.entered.set()
            ctx.wait()
            seen["reason"] = ctx.reason

        served = call_async(h.client.serve, {"w": {"wait": wait}})
        m, _ = h.read()
        h.send({"sequence": m["sequence"], "reply": {"protocol": 2, "features": list(ALL_FEATURES)}})
        h.send({"sequence": 1, "type": "call", "namespace": "w", "name": "wait", "args": []})
        self.assertTrue(gate.entered.wait(10))
        h.close()
        self.assertIsNone(served())
        self.assertEqual(seen["reason"], "unavailable")
        with self.assertRaises(hostcall.ConnectionClosedError):
            h.client.call("calc", "add", 1, 2)
        with self.assertRaises(hostcall.ConnectionClosedError):
            h.client.serve({})

    def test_drain_timeout(self):
        h = FakeHost()
        self.addCleanup(h.shutdown)
        h.hello(features=ALL_FEATURES)
        gate = Gate()
        self.addCleanup(gate.release.set)
        served = call_async(h.client.serve, {"w": {"stuck": gate.pass_through}}, drain_timeout=0.1)
        m, _ = h.read()
        h.send({"sequence": m["sequence"], "reply": {"protocol": 2, "features": list(ALL_FEATURES)}})
        h.send({"sequence": 4, "type": "call", "namespace": "w", "name": "stuck", "args": []})
        self.assertTrue(gate.entered.wait(10))
        h.close()
        with self.assertRaises(hostcall.HostcallError) as cm:
            served()
        self.assertIn("1 calls [w.stuck (sequence 4)] still running", str(cm.exception))

    def test_host_dies_mid_frame(self):
        h = FakeHost()
        self.addCleanup(h.shutdown)
        h.hello(features=ALL_FEATURES)
        served = call_async(h.client.serve, {})
        h.read()
        h.write('{"sequence":1,"type":"call"')
        h.close()
        with self.assertRaises(hostcall.ConnectionClosedError) as cm:
            served()
        self.assertIn("stream ended inside a frame", str(cm.exception))

    def test_serve_once(self):
        h = FakeHost()
        self.addCleanup(h.shutdown)
        h.hello(features=ALL_FEATURES)
        served = call_async(h.client.serve, {})
        h.read()
        with self.assertRaises(RuntimeError):
            h.client.serve({})
        h.close()
        self.assertIsNone(served())

    def test_not_hosted(self):
        with self.assertRaises(hostcall.NotHostedError):
            hostcall.connect(argv=["demo"]).serve({"a": {"b": print}})


class NotServingTest(unittest.TestCase):
    def test_requests_answered_bad_request(self):
        h = FakeHost()
        self.addCleanup(h.shutdown)
        h.hello(features=ALL_FEATURES)
        h.send({"sequence": 1, "type": "hasNamespace", "namespace": "x"})
        self.assertEqual(h.read()[0], {"sequence": 1, "error": 'this plugin serves no requests (got "hasNamespace")', "code": "bad_request"})
        h.send({"sequence": 2, "reply": [1]})  # no type, no call: dropped
        h.send({"sequence": 3, "type": "callback", "callback": 1, "args": []})
        self.assertEqual(h.read()[0], {"sequence": 3, "error": "callback 1: its call has ended", "code": "canceled"})


if __name__ == "__main__":
    unittest.main()
