"""A client serving a registry to the scripted host, for the serving tests."""

import threading
import unittest

from tests.fakehost import FakeHost, call_async

ALL_FEATURES = ("cancel", "timeout", "codes", "blobs", "callbacks", "serve")


class ServingCase(unittest.TestCase):
    """Starts a FakeHost whose client serves self.registry() (a Registry or
    a mapping) in a thread; the test plays the host: self.ask sends a
    request and returns the plugin's answer."""

    host_features = ALL_FEATURES
    max_workers = 8

    def registry(self):
        raise NotImplementedError

    def setUp(self):
        self.h = FakeHost()
        self.c = self.h.client
        self.addCleanup(self.h.shutdown)
        self.h.hello(features=self.host_features)
        self.served = call_async(self.c.serve, self.registry(), max_workers=self.max_workers)
        m, _ = self.h.read()
        self.assertEqual(m["type"], "hello")
        self.serve_hello = m
        self.h.send({"sequence": m["sequence"], "reply": {"protocol": 2, "features": list(self.host_features), "maxFrame": 64 << 20}})
        self.seq = 100

    def tearDown(self):
        self.h.close()
        self.served(10)

    def next_seq(self):
        self.seq += 1
        return self.seq

    def ask(self, frame, blobs=()):
        """Sends the request frame (its sequence filled in when it has
        none) and returns the next frame the plugin writes, with its
        blobs."""
        frame = dict(frame)
        frame.setdefault("sequence", self.next_seq())
        self.h.send(frame, blobs)
        return self.h.read()

    def call(self, ns, name, *args, **members):
        m, _ = self.ask(dict({"type": "call", "namespace": ns, "name": name, "args": list(args)}, **members))
        return m


class Gate:
    """A function's way to say it runs, and the test's to let it go on."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def pass_through(self):
        self.entered.set()
        if not self.release.wait(10):
            raise AssertionError("the test never released the gate")
