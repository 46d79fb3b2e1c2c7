"""The health namespace (PROTOCOL.md section 6, health): a serving plugin
answers the host's ping on its reader; the client pings the host and sends
it leave notices."""

import threading
import unittest

import hostcall
from tests.fakehost import FakeHost, call_async
from tests.serving import ALL_FEATURES, Gate, ServingCase

HEALTH = "hostcall.health"


def health(name, *args, seq=None):
    m = {"type": "call", "namespace": HEALTH, "name": name, "args": list(args)}
    if seq is not None:
        m["sequence"] = seq
    return m


class ServedHealthTest(ServingCase):
    max_workers = 1

    def registry(self):
        self.gate = Gate()
        self.reached = []
        reg = hostcall.Registry({"q": {"gated": lambda: self.gate.pass_through() or "through",
                                       "add": lambda a, b: a + b}})

        # The namespace is reserved: a registry's functions of that name are
        # never reached by calls.
        @reg.service(HEALTH)
        def ping():
            self.reached.append("ping")
            return "from the registry"

        @reg.service(HEALTH)
        def other():
            self.reached.append("other")

        return reg

    def test_ping_frame(self):
        self.h.send(health("ping", seq=7))
        self.assertEqual(self.h.framer.next().data, b'{"sequence":7,"reply":[]}')
        # Its arguments, whatever they are, are not looked at.
        self.assertEqual(self.ask(health("ping", "x", 1))[0], {"sequence": self.seq, "reply": []})
        self.assertEqual(self.ask({"type": "call", "namespace": HEALTH, "name": "ping"})[0], {"sequence": self.seq, "reply": []})
        self.assertEqual(self.reached, [])

    def test_ping_ahead_of_queued_calls(self):
        # The only worker is busy and a call waits for it: the ping is
        # answered all the same, before either.
        self.h.send({"sequence": 1, "type": "call", "namespace": "q", "name": "gated", "args": []})
        self.assertTrue(self.gate.entered.wait(10))
        self.h.send({"sequence": 2, "type": "call", "namespace": "q", "name": "add", "args": [1, 2]})
        self.h.send(health("ping", seq=3))
        self.assertEqual(self.h.read()[0], {"sequence": 3, "reply": []})
        self.gate.release.set()
        self.assertEqual(self.h.read()[0], {"sequence": 1, "reply": ["through"]})
        self.assertEqual(self.h.read()[0], {"sequence": 2, "reply": [3]})

    def test_leave_refused(self):
        want = {"error": "hostcall.health.leave: this end takes no leave notices (only a host does)", "code": "unknown_service"}
        self.assertEqual(self.ask(health("leave", "bye"))[0], dict(want, sequence=self.seq))
        self.assertEqual(self.ask(health("leave"))[0], dict(want, sequence=self.seq))
        self.assertEqual(self.ask(health("leave", 5, 6))[0], dict(want, sequence=self.seq))  # not read: refused anyway

    def test_other_names(self):
        m, _ = self.ask(health("other"))
        self.assertEqual(m, {"sequence": self.seq, "code": "unknown_service",
                             "error": 'hostcall.health.other: unknown service "other" (the health namespace has ping and leave)'})
        m, _ = self.ask({"type": "call", "namespace": HEALTH})
        self.assertEqual(m["code"], "unknown_service")
        self.assertEqual(m["error"], 'hostcall.health.: unknown service "" (the health namespace has ping and leave)')
        m, _ = self.ask(health("a\nb"))
        self.assertEqual(m["error"], '"hostcall.health.a\\nb": unknown service "a\\nb" (the health namespace has ping and leave)')
        self.assertEqual(self.reached, [])
        # Only calls of that namespace: the others are the registry's.
        self.assertEqual(self.call("q", "add", 1, 2)["reply"], [3])
        self.assertEqual(self.call("hostcall.healthy", "ping")["code"], "unknown_namespace")

    def test_duplicate_sequence(self):
        self.h.send({"sequence": 5, "type": "call", "namespace": "q", "name": "gated", "args": []})
        self.assertTrue(self.gate.entered.wait(10))
        self.h.send(health("ping", seq=5))
        self.assertEqual(self.h.read()[0], {"sequence": 5, "code": "bad_request",
                                            "error": "sequence 5 is already in flight: sequences must not be reused"})
        self.gate.release.set()
        self.assertEqual(self.h.read()[0], {"sequence": 5, "reply": ["through"]})
        self.assertEqual(self.ask(health("ping", seq=5))[0], {"sequence": 5, "reply": []})  # free again

    def test_many_pings_while_busy(self):
        self.h.send({"sequence": 1, "type": "call", "namespace": "q", "name": "gated", "args": []})
        self.assertTrue(self.gate.entered.wait(10))
        for seq in range(10, 60):
            self.h.send(health("ping", seq=seq))
        self.assertEqual([self.h.read()[0] for _ in range(10, 60)], [{"sequence": s, "reply": []} for s in range(10, 60)])
        self.gate.release.set()
        self.assertEqual(self.h.read()[0], {"sequence": 1, "reply": ["through"]})


class NotServingHealthTest(unittest.TestCase):
    def test_ping_of_a_plugin_that_does_not_serve(self):
        # As every request: a plugin that does not serve answers nothing
        # but bad_request (the Go end does the same).
        h = FakeHost()
        self.addCleanup(h.shutdown)
        h.hello(features=ALL_FEATURES)
        h.send(health("ping", seq=1))
        self.assertEqual(h.read()[0], {"sequence": 1, "error": 'this plugin serves no requests (got "call")', "code": "bad_request"})


class ClientHealthTest(unittest.TestCase):
    def setUp(self):
        self.h = FakeHost()
        self.c = self.h.client
        self.addCleanup(self.h.shutdown)
        self.h.hello()

    def test_ping(self):
        wait = call_async(self.c.ping)
        f = self.h.framer.next()
        self.assertEqual(f.data, b'{"sequence":2,"type":"call","namespace":"hostcall.health","name":"ping","args":[]}')
        self.h.send({"sequence": 2, "reply": []})
        self.assertIsNone(wait())

    def test_ping_timeout(self):
        wait = call_async(self.c.ping, timeout=0.2)
        m, _ = self.h.read()
        self.assertEqual((m["namespace"], m["name"]), (HEALTH, "ping"))
        self.assertGreater(m["timeout"], 0)
        with self.assertRaises(hostcall.DeadlineExceededError) as cm:
            wait()
        self.assertEqual(cm.exception.code, "deadline_exceeded")
        self.assertIn("hostcall.health.ping", str(cm.exception))
        self.assertEqual(self.h.read()[0], {"sequence": m["sequence"], "type": "cancel"})

    def test_ping_cancel(self):
        stop = threading.Event()
        wait = call_async(self.c.ping, cancel=stop)
        m, _ = self.h.read()
        stop.set()
        with self.assertRaises(hostcall.CanceledError):
            wait()
        self.assertEqual(self.h.read()[0], {"sequence": m["sequence"], "type": "cancel"})
        stop2 = threading.Event()
        stop2.set()
        with self.assertRaises(hostcall.CanceledError):
            self.c.ping(cancel=stop2)  # before it is sent

    def test_ping_refused(self):
        # A host that predates the namespace answers it as any unknown one.
        wait = call_async(self.c.ping)
        m, _ = self.h.read()
        self.h.send({"sequence": m["sequence"], "error": 'hostcall.health: unknown namespace "hostcall.health"', "code": "unknown_namespace"})
        with self.assertRaises(hostcall.UnknownNamespaceError) as cm:
            wait()
        self.assertEqual(cm.exception.code, "unknown_namespace")

    def test_ping_host_gone(self):
        wait = call_async(self.c.ping)
        self.h.read()
        self.h.close()
        with self.assertRaises(hostcall.ConnectionClosedError):
            wait()
        with self.assertRaises(hostcall.ConnectionClosedError):
            self.c.ping()

    def test_leave(self):
        wait = call_async(self.c.leave, "config removed")
        f = self.h.framer.next()
        self.assertEqual(f.data, b'{"sequence":2,"type":"call","namespace":"hostcall.health","name":"leave","args":["config removed"]}')
        self.h.send({"sequence": 2, "reply": []})
        self.assertIsNone(wait())
        wait = call_async(self.c.leave)
        m, _ = self.h.read()
        self.assertEqual(m["args"], [""])
        self.h.send({"sequence": m["sequence"], "reply": []})
        self.assertIsNone(wait())

    def test_leave_refused(self):
        wait = call_async(self.c.leave, "bye")
        m, _ = self.h.read()
        self.h.send({"sequence": m["sequence"], "code": "unknown_service",
                     "error": "hostcall.health.leave: this end takes no leave notices (only a host does)"})
        with self.assertRaises(hostcall.UnknownServiceError) as cm:
            wait()
        self.assertEqual(cm.exception.message, "hostcall.health.leave: this end takes no leave notices (only a host does)")

    def test_leave_reason_is_a_string(self):
        with self.assertRaises(TypeError):
            self.c.leave(5)


class LeaveWhileServingTest(unittest.TestCase):
    def test_serve_returns_once_the_host_closes(self):
        # The host answers the leave notice, then closes its stream: serve
        # returns None, as when the host stops the plugin.
        h = FakeHost()
        self.addCleanup(h.shutdown)
        h.hello(features=ALL_FEATURES)
        served = call_async(h.client.serve, {"q": {"add": lambda a, b: a + b}})
        m, _ = h.read()
        h.send({"sequence": m["sequence"], "reply": {"protocol": 2, "features": list(ALL_FEATURES)}})
        left = call_async(h.client.leave, "done")
        m, _ = h.read()
        self.assertEqual((m["namespace"], m["name"], m["args"]), (HEALTH, "leave", ["done"]))
        h.send({"sequence": m["sequence"], "reply": []})
        self.assertIsNone(left())
        h.close()
        self.assertIsNone(served())
        with self.assertRaises(hostcall.ConnectionClosedError):
            h.client.ping()


class NotHostedHealthTest(unittest.TestCase):
    def test_fail(self):
        c = hostcall.connect(argv=["demo"])
        with self.assertRaises(hostcall.NotHostedError):
            c.ping()
        with self.assertRaises(hostcall.NotHostedError):
            c.leave("bye")


if __name__ == "__main__":
    unittest.main()
