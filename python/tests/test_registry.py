"""The registry, what it reads from signatures, contexts, the pool of
workers and registered errors, without a connection."""

import collections.abc
import functools
import threading
import time
import typing
import unittest

import hostcall
from hostcall import _pool, registry
from hostcall.errors import error_code, remote_error


class RegistryTest(unittest.TestCase):
    def test_build(self):
        reg = hostcall.Registry({"kv": {"get": dict.get}, "empty": {}})
        reg.define("kv", {"description": "kv"})
        reg.add("kv", "put", lambda k, v: None)

        @reg.service("kv")
        def delete(k):
            return k

        @reg.service("kv", "del2")
        def other(k):
            return k

        self.assertIs(delete.__name__, "delete")  # the decorator returns the function
        self.assertEqual(reg.names("kv"), ["del2", "delete", "get", "put"])
        self.assertEqual(reg.names("empty"), [])
        self.assertIsNone(reg.names("nope"))
        self.assertTrue(reg.has_namespace("empty"))
        self.assertEqual(reg.manifest_json("kv"), (True, '{"description":"kv"}'))
        self.assertEqual(reg.manifest_json("empty"), (True, None))
        self.assertEqual(reg.manifest_json("nope"), (False, None))
        f, code, msg = reg.lookup("kv", "delete")
        self.assertEqual((f.what, code, msg), ("kv.delete", None, None))
        self.assertEqual(reg.lookup("kv", "x")[1:], ("unknown_service", "kv.x: unknown service"))
        self.assertEqual(reg.lookup("no", "x")[1:], ("unknown_namespace", 'no.x: unknown namespace "no"'))

    def test_misuse(self):
        reg = hostcall.Registry()
        reg.add("kv", "get", print)
        with self.assertRaisesRegex(ValueError, "kv.get is already registered"):
            reg.add("kv", "get", print)
        with self.assertRaisesRegex(TypeError, "not callable"):
            reg.add("kv", "x", 5)
        with self.assertRaisesRegex(TypeError, "non-empty string"):
            reg.add("", "x", print)
        with self.assertRaisesRegex(TypeError, "non-empty string"):
            reg.add("kv", None, print)
        with self.assertRaisesRegex(TypeError, "not a mapping"):
            hostcall.Registry({"kv": print})
        with self.assertRaisesRegex(TypeError, "cannot travel as JSON"):
            reg.define("kv", {"x": object()})
        with self.assertRaisesRegex(TypeError, "parameter ctx must come first"):
            reg.add("kv", "bad", lambda a, ctx, /: None)


class FunctionTest(unittest.TestCase):
    def kinds(self, fn, n=3):
        f = registry.Function(fn, "t.f")
        return f.ctx, [f.kind(i) for i in range(n)]

    def test_kinds(self):
        def f(a, b: bytes, c: typing.Optional[bytes], d: typing.Callable[[int], str], e: collections.abc.Callable,
              g: typing.Optional[typing.Callable[[], None]], h: int, i: typing.Any, j: typing.Union[bytes, str]):
            pass

        self.assertEqual(self.kinds(f, 10), (None, ["any", "bytes", "bytes", "callback", "callback", "callback", "other", "any",
                                                    "other", "any"]))

    def test_text_annotations(self):
        def f(a: "bytes", b: "Optional[bytes]", c: "bytes | None", d: "Callable[[int], str]", e: "Undefined", g: "typing.Any"):
            pass

        self.assertEqual(self.kinds(f, 6), (None, ["bytes", "bytes", "bytes", "callback", "other", "any"]))

    def test_ctx(self):
        self.assertEqual(self.kinds(lambda ctx, a: None), ("first", ["any", "any", "any"]))
        self.assertEqual(self.kinds(lambda a, *, ctx: None), ("keyword", ["any", "any", "any"]))
        self.assertEqual(self.kinds(lambda a, ctx=None: None), ("keyword", ["any", "any", "any"]))

        def rest(ctx, a: bytes, *more: bytes):
            return ctx, a, more

        ctx, kinds = self.kinds(rest, 4)
        self.assertEqual((ctx, kinds), ("first", ["bytes", "bytes", "bytes", "bytes"]))
        f = registry.Function(rest, "t.rest")
        self.assertEqual(f([b"a", b"b"], "C"), ("C", b"a", (b"b",)))
        with self.assertRaises(TypeError):
            f.check([], "C")

    def test_callables_without_signatures(self):
        f = registry.Function(functools.partial(lambda a, b: a + b, 1), "t.p")
        self.assertEqual(f([2], None), 3)
        f.check([2], None)
        with self.assertRaises(TypeError):
            f.check([2, 3], None)


class ContextTest(unittest.TestCase):
    def test_without_deadline(self):
        ctx = hostcall.Context()
        self.assertFalse(ctx.done())
        self.assertIsNone(ctx.reason)
        self.assertIsNone(ctx.error)
        self.assertIsNone(ctx.remaining())
        ctx.check()
        self.assertFalse(ctx.wait(0))
        ctx._end("canceled")
        ctx._end("unavailable")  # the first reason stays
        self.assertTrue(ctx.done() and ctx.is_set() and ctx.wait())
        self.assertEqual(ctx.reason, "canceled")
        self.assertIsInstance(ctx.error, hostcall.CanceledError)
        with self.assertRaises(hostcall.CanceledError):
            ctx.check()

    def test_deadline(self):
        ctx = hostcall.Context(deadline=time.monotonic() - 1)
        self.assertTrue(ctx.done())
        self.assertEqual(ctx.remaining(), 0)
        self.assertEqual(ctx.reason, "deadline_exceeded")
        self.assertIsInstance(ctx.error, hostcall.DeadlineExceededError)
        ctx = hostcall.Context(deadline=time.monotonic() + 0.05)
        self.assertTrue(ctx.wait())  # returns at the deadline: nobody sets it
        self.assertEqual(ctx.reason, "deadline_exceeded")
        ctx = hostcall.Context(deadline=time.monotonic() + 3600)
        self.assertFalse(ctx.wait(0.01))

    def test_unavailable(self):
        ctx = hostcall.Context()
        ctx._end("unavailable")
        self.assertIsInstance(ctx.error, hostcall.UnavailableError)


class PoolTest(unittest.TestCase):
    def run_tasks(self, pool, n, body):
        """Submits n tasks running body(i); returns their done events."""
        done = [threading.Event() for _ in range(n)]

        def task(i):
            try:
                body(i)
            finally:
                done[i].set()

        for i in range(n):
            pool.submit(functools.partial(task, i))
        return done

    def test_bound(self):
        pool = _pool.Pool(2)
        self.addCleanup(pool.close)
        release = threading.Event()
        lock = threading.Lock()
        running = {"now": 0, "max": 0}
        started = threading.Semaphore(0)

        def body(i):
            with lock:
                running["now"] += 1
                running["max"] = max(running["max"], running["now"])
            started.release()
            release.wait(10)
            with lock:
                running["now"] -= 1

        done = self.run_tasks(pool, 6, body)
        self.assertTrue(started.acquire(timeout=10) and started.acquire(timeout=10))
        self.assertFalse(started.acquire(timeout=0.05))  # a third never starts while two run
        release.set()
        for d in done:
            self.assertTrue(d.wait(10))
        self.assertEqual(running["max"], 2)

    def test_waiting_on_the_peer_frees_the_worker(self):
        pool = _pool.Pool(1)
        self.addCleanup(pool.close)
        inner = threading.Event()

        def body(i):
            if i == 0:
                with _pool.waiting_on_peer():  # as a served function calling the host
                    self.assertTrue(inner.wait(10), "the second task never ran while the first waited")
            else:
                inner.set()

        for d in self.run_tasks(pool, 2, body):
            self.assertTrue(d.wait(10))

    def test_failing_task_keeps_the_worker(self):
        pool = _pool.Pool(1)
        self.addCleanup(pool.close)

        def body(i):
            if i == 0:
                raise RuntimeError("task failed")

        for d in self.run_tasks(pool, 3, body):
            self.assertTrue(d.wait(10))

    def test_waiting_outside_a_pool(self):
        with _pool.waiting_on_peer():
            pass


class Missing(Exception):
    pass


class Held(Exception):
    def __init__(self, key, holder):
        super().__init__("%s is held by %d" % (key, holder))
        self.Key, self.Holder = key, holder


class WithSlots(OSError):
    pass


class Fussy(Exception):
    def __new__(cls, *args):
        raise RuntimeError("made only by its own code")


hostcall.register_error("treg.missing", Missing)
hostcall.register_error("treg.fussy", Fussy)
hostcall.register_error("treg.held", Held, fields=("Key", "Holder"))
hostcall.register_error("treg.os", WithSlots)


class RegisteredErrorTest(unittest.TestCase):
    def test_received(self):
        e = remote_error("find k: missing", "treg.missing")
        self.assertIsInstance(e, Missing)
        self.assertIsInstance(e, hostcall.ServiceError)
        self.assertIsInstance(e, hostcall.HostcallError)
        self.assertEqual((str(e), e.message, e.code, e.detail), ("find k: missing", "find k: missing", "treg.missing", None))
        self.assertEqual(type(e).__name__, "Missing")
        e = remote_error("k is held by 42", "treg.held", {"Key": "k", "Holder": 42, "Extra": 1})
        self.assertIsInstance(e, Held)
        self.assertEqual((e.Key, e.Holder, e.detail), ("k", 42, {"Key": "k", "Holder": 42, "Extra": 1}))
        e = remote_error("partly", "treg.held", {"Key": "k"})
        self.assertEqual((e.Key, e.Holder), ("k", None))
        e = remote_error("no detail", "treg.held", [1])
        self.assertEqual((e.Key, e.Holder), (None, None))

    def test_unregistered(self):
        e = remote_error("x", "other.code", {"a": 1})
        self.assertIs(type(e), hostcall.ServiceError)  # a dotted code is a service's own error
        self.assertEqual((e.code, e.detail), ("other.code", {"a": 1}))
        e = remote_error("x", "future_code")
        self.assertIs(type(e), hostcall.RemoteError)
        self.assertIs(type(remote_error("x", ".dot")), hostcall.RemoteError)

    def test_sent(self):
        self.assertEqual(error_code(Missing("m")), ("treg.missing", None))
        self.assertEqual(error_code(Held("k", 1)), ("treg.held", {"Key": "k", "Holder": 1}))
        self.assertEqual(error_code(ValueError("v")), ("service_error", None))
        self.assertEqual(error_code(hostcall.DeadlineExceededError("late")), ("deadline_exceeded", None))
        self.assertEqual(error_code(hostcall.ConnectionClosedError("gone")), ("service_error", None))
        self.assertEqual(error_code(remote_error("m", "treg.held", {"Key": "k"})), ("treg.held", {"Key": "k"}))
        self.assertEqual(error_code(WithSlots(2, "no such file")), ("treg.os", None))

    def test_builtin_bases(self):
        e = remote_error("boom", "treg.os")
        self.assertIsInstance(e, WithSlots)
        self.assertIsInstance(e, hostcall.ServiceError)
        self.assertEqual((e.code, str(e)), ("treg.os", "boom"))

    def test_classes_that_cannot_be_made(self):
        e = remote_error("boom", "treg.fussy")
        self.assertIs(type(e), hostcall.ServiceError)
        self.assertEqual((e.code, e.message), ("treg.fussy", "boom"))

    def test_misuse(self):
        class Other(Exception):
            pass

        for code, cls, why in (
            ("", Other, "is empty"),
            ("bad_arguments", Other, "protocol's own codes"),
            ("nodot", Other, "has no dot"),
            ("dot.", Other, "has no dot"),
            ("a. b", Other, "at byte 2"),
            ('a."b', Other, "at byte 2"),
            ("x" * 129 + ".y", Other, "longer than 128"),
            ("treg.missing", Other, "already registered for Missing"),
            ("treg.other", Missing, "already registered as 'treg.missing'"),
        ):
            with self.assertRaisesRegex(ValueError, why, msg=code):
                hostcall.register_error(code, cls)
        with self.assertRaises(TypeError):
            hostcall.register_error("treg.x", ValueError("an instance"))
        with self.assertRaises(TypeError):
            hostcall.register_error("treg.x", Other, fields=[1])
        self.assertIs(hostcall.register_error("treg.missing", Missing), Missing)  # the same pair again


if __name__ == "__main__":
    unittest.main()
