"""Callbacks both ways with the scripted host (PROTOCOL.md section 6)."""

import unittest
from typing import Callable

import hostcall
from tests.fakehost import FakeHost, call_async
from tests.serving import ALL_FEATURES, Gate, ServingCase


class Stop(Exception):
    pass


hostcall.register_error("ttest.stop", Stop)


class LendTest(unittest.TestCase):
    """Python functions passed to Client.call are lent to the host."""

    def setUp(self):
        self.h = FakeHost()
        self.c = self.h.client
        self.addCleanup(self.h.shutdown)

    def test_lend(self):
        self.h.hello(features=ALL_FEATURES)
        seen = []

        def progress(done, ctx):
            seen.append((done, ctx.deadline is not None))
            return done * 10

        wait = call_async(self.c.call, "host", "index", ["a", "b"], progress)
        m, _ = self.h.read()
        self.assertEqual(m["args"], [["a", "b"], {"callback": 1}])
        cb = m["args"][1]["callback"]
        # The host calls it back, in its own sequence space, as often as it likes.
        self.h.send({"sequence": m["sequence"], "type": "callback", "callback": cb, "args": [1]})
        self.assertEqual(self.h.read()[0], {"sequence": m["sequence"], "reply": [10]})
        self.h.send({"sequence": 7, "type": "callback", "callback": cb, "args": [2], "timeout": 10**9})
        self.assertEqual(self.h.read()[0], {"sequence": 7, "reply": [20]})
        self.h.send({"sequence": 8, "type": "callback", "callback": cb, "args": []})
        m8, _ = self.h.read()
        self.assertEqual((m8["sequence"], m8["code"]), (8, "bad_arguments"))
        self.h.send({"sequence": 9, "type": "callback", "callback": cb + 1, "args": [1]})
        self.assertEqual(self.h.read()[0], {"sequence": 9, "error": "callback %d: its call has ended" % (cb + 1), "code": "canceled"})
        self.h.send({"sequence": m["sequence"], "reply": []})
        self.assertIsNone(wait())
        self.assertEqual(seen, [(1, False), (2, True)])
        # Once the call has been answered, the function is no longer lent.
        self.h.send({"sequence": 10, "type": "callback", "callback": cb, "args": [3]})
        self.assertEqual(self.h.read()[0], {"sequence": 10, "error": "callback %d: its call has ended" % cb, "code": "canceled"})
        # Each lent function has an id of its own.
        wait = call_async(self.c.call, "host", "two", len, lambda: None)
        m, _ = self.h.read()
        self.assertEqual(m["args"], [{"callback": 2}, {"callback": 3}])
        self.h.send({"sequence": m["sequence"], "reply": []})
        wait()

    def test_lent_function_errors(self):
        self.h.hello(features=ALL_FEATURES)

        def fails(kind):
            if kind == "stop":
                raise Stop("stop here")
            raise RuntimeError("broken")

        wait = call_async(self.c.call, "host", "f", fails)
        m, _ = self.h.read()
        self.h.send({"sequence": 1, "type": "callback", "callback": 1, "args": ["stop"]})
        self.assertEqual(self.h.read()[0], {"sequence": 1, "error": "stop here", "code": "ttest.stop"})
        self.h.send({"sequence": 2, "type": "callback", "callback": 1, "args": ["other"]})
        self.assertEqual(self.h.read()[0], {"sequence": 2, "error": "broken", "code": "service_error"})
        # The host's service fails with the callback's error, passed on.
        self.h.send({"sequence": m["sequence"], "error": "index a: stop here", "code": "ttest.stop"})
        with self.assertRaises(Stop) as cm:
            wait()
        self.assertIsInstance(cm.exception, hostcall.ServiceError)
        self.assertEqual(str(cm.exception), "index a: stop here")

    def test_cancel_reaches_the_lent_function(self):
        self.h.hello(features=ALL_FEATURES)
        gate = Gate()
        reasons = []

        def waits(ctx):
            gate.entered.set()
            ctx.wait()
            reasons.append(ctx.reason)
            ctx.check()

        wait = call_async(self.c.call, "host", "f", waits)
        m, _ = self.h.read()
        self.h.send({"sequence": 1, "type": "callback", "callback": 1, "args": []})
        self.assertTrue(gate.entered.wait(10))
        self.h.send({"sequence": 1, "type": "cancel"})
        self.assertEqual(self.h.read()[0], {"sequence": 1, "error": "context canceled", "code": "canceled"})
        self.assertEqual(reasons, ["canceled"])
        self.h.send({"sequence": m["sequence"], "reply": []})
        wait()

    def test_host_without_callbacks(self):
        self.h.hello(features=("cancel", "timeout", "codes", "blobs"))
        with self.assertRaises(hostcall.HostcallError) as cm:
            self.c.call("host", "index", ["a"], print)
        self.assertEqual(str(cm.exception),
                         'service host.index: argument 1: the host does not take callbacks (its hello did not list the feature "callbacks")')
        # Nothing was sent, nothing stays lent: the next frame is the next call's.
        wait = call_async(self.c.call, "host", "index", ["a"], None)
        m, _ = self.h.read()
        self.assertEqual(m["args"], [["a"], None])
        self.h.send({"sequence": m["sequence"], "reply": []})
        wait()

    def test_protocol1_host(self):
        self.h.hello(protocol=1)
        with self.assertRaises(hostcall.HostcallError) as cm:
            self.c.call("host", "index", print)
        self.assertIn("does not take callbacks", str(cm.exception))

    def test_callback_takes_no_functions(self):
        self.h.hello(features=ALL_FEATURES)
        cb = hostcall.Callback(self.c, 1, "x.y callback (argument 0)", hostcall.Context(self.c))
        with self.assertRaises(hostcall.HostcallError) as cm:
            cb(print)
        self.assertIn("never funcs", str(cm.exception))


class CallbackArgumentTest(ServingCase):
    """{"callback":id} arguments of the host's calls become Callbacks."""

    def registry(self):
        self.kept = []
        self.gate = Gate()
        reg = hostcall.Registry()

        @reg.service("cb")
        def each(n, f):
            return [f(i) for i in range(n)]

        @reg.service("cb")
        def typed(f: Callable[[int], str]):
            return f(0) if f is not None else "nil"

        @reg.service("cb")
        def keep(f):
            self.kept.append(f)

        @reg.service("cb")
        def late():
            try:
                self.kept[-1](1)
            except hostcall.ConnectionClosedError as e:
                return str(e)
            return "called"

        @reg.service("cb")
        def data(d):
            return d  # not annotated: only the exact {"callback":id} shape is a callback

        @reg.service("cb")
        def catch(f):
            try:
                f()
            except Stop as e:
                return "stop: %s %s" % (e.code, isinstance(e, hostcall.ServiceError))
            return "no error"

        @reg.service("cb")
        def bytes_back(f):
            return f(returns=bytes)

        @reg.service("cb")
        def hang(ctx, f):
            self.gate.entered.set()
            return f()

        return reg

    def callback_request(self):
        m, _ = self.h.read()
        self.assertEqual(m["type"], "callback")
        return m

    def test_each(self):
        self.h.send({"sequence": 1, "type": "call", "namespace": "cb", "name": "each", "args": [2, {"callback": 7}]})
        for i, word in enumerate(("a", "b")):
            m = self.callback_request()
            self.assertEqual((m["callback"], m["args"]), (7, [i]))
            self.h.send({"sequence": m["sequence"], "reply": [word]})
        self.assertEqual(self.h.read()[0], {"sequence": 1, "reply": [["a", "b"]]})

    def test_callback_error_ends_the_call(self):
        self.h.send({"sequence": 1, "type": "call", "namespace": "cb", "name": "each", "args": [5, {"callback": 8}]})
        m = self.callback_request()
        self.h.send({"sequence": m["sequence"], "error": "no more", "code": "service_error"})
        self.assertEqual(self.h.read()[0], {"sequence": 1, "error": "no more", "code": "service_error"})
        self.h.send({"sequence": 2, "type": "call", "namespace": "cb", "name": "catch", "args": [{"callback": 9}]})
        m = self.callback_request()
        self.h.send({"sequence": m["sequence"], "error": "stopped", "code": "ttest.stop"})
        self.assertEqual(self.h.read()[0], {"sequence": 2, "reply": ["stop: ttest.stop True"]})

    def test_null_and_not_callbacks(self):
        self.assertEqual(self.call("cb", "typed", None)["reply"], ["nil"])
        for bad in (7, {"callback": 0}, {"callback": "7"}, {"callback": 1, "x": 2}):
            m = self.call("cb", "typed", bad)
            self.assertEqual(m["code"], "bad_arguments", bad)
            self.assertIn('argument 0: want a callback, {"callback":id} with id > 0, or null, got', m["error"])
        self.assertEqual(self.call("cb", "data", {"callback": 0})["reply"], [{"callback": 0}])
        self.assertEqual(self.call("cb", "data", {"callback": 1, "x": 2})["reply"], [{"callback": 1, "x": 2}])

    def test_valid_while_the_call_runs(self):
        self.assertEqual(self.call("cb", "keep", {"callback": 3})["reply"], [])
        self.assertEqual(self.call("cb", "late")["reply"], ["cb.keep callback (argument 0): called after its call returned"])

    def test_bytes_result(self):
        self.h.send({"sequence": 1, "type": "call", "namespace": "cb", "name": "bytes_back", "args": [{"callback": 4}]})
        m = self.callback_request()
        self.h.send({"sequence": m["sequence"], "reply": [0], "blobs": [3]}, [b"xyz"])
        self.assertEqual(self.h.read()[0], {"sequence": 1, "reply": ["eHl6"]})

    def test_cancel_reaches_the_callback_request(self):
        self.h.send({"sequence": 1, "type": "call", "namespace": "cb", "name": "hang", "args": [{"callback": 5}]})
        m = self.callback_request()
        self.h.send({"sequence": 1, "type": "cancel"})
        frames = [self.h.read()[0], self.h.read()[0]]
        self.assertIn({"sequence": m["sequence"], "type": "cancel"}, frames)
        self.assertIn({"sequence": 1, "error": "service cb.hang callback (argument 0): canceled by the caller", "code": "canceled"}, frames)

    def test_deadline_travels_with_the_callback_request(self):
        self.h.send({"sequence": 1, "type": "call", "namespace": "cb", "name": "each", "args": [1, {"callback": 6}], "timeout": 60 * 10**9})
        m = self.callback_request()
        self.assertGreater(m["timeout"], 0)
        self.assertLessEqual(m["timeout"], 60 * 10**9)
        self.h.send({"sequence": m["sequence"], "reply": ["x"]})
        self.assertEqual(self.h.read()[0], {"sequence": 1, "reply": [["x"]]})


if __name__ == "__main__":
    unittest.main()
