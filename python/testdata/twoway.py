#!/usr/bin/env python3
"""The plugin of python/twoway_test.go: it serves functions to a Go host
(host.Start) while it calls the host's.

    twoway.py serve          serves until the host closes the connection
    twoway.py serve small    the same with at most 2 calls running at once

Its services call the host back: kv.put logs the key through audit.log;
kv.down and kv.depth go down through host.down and host.depth; at 0 kv.down
waits for its context's end and reports it (report.canceled). kv.pinghost
pings the host, kv.leave sends it a leave notice. The errors of the contract
are registered under the codes the Go test registers.
"""

import io
import os
import sys
import threading
import time
from typing import Callable

import hostcall

hostcall.serve_info({
    "name": "pytwoway",
    "version": "1.0.0",
    "commands": [{"path": ["serve"], "type": "serve"}, {"path": ["serve", "small"], "type": "serve-small"}],
})


class NotFound(Exception):
    pass


class ReadOnly(Exception):
    pass


class Conflict(Exception):
    """Registered with fields: Key, Holder and Tags travel as the detail,
    as the Go test's conflictError's fields do."""

    def __init__(self, key, holder, tags):
        super().__init__("%s is held by %d" % (key, holder))
        self.Key, self.Holder, self.Tags = key, holder, tags


hostcall.register_error("test.not_found", NotFound)
hostcall.register_error("test.read_only", ReadOnly)
hostcall.register_error("test.conflict", Conflict, fields=("Key", "Holder", "Tags"))

host = hostcall.default()
reg = hostcall.Registry()
reg.define("kv", {"description": "the plugin's own"})
lock = threading.Lock()
store = {}


@reg.service("kv")
def put(ctx, key, value):
    ctx.call("audit", "log", key)  # a call to the host inside the host's call
    with lock:
        store[key] = value


@reg.service("kv")
def get(key):
    with lock:
        if key not in store:
            raise ValueError('no key "%s"' % key)
        return store[key]


@reg.service("kv")
def down(ctx, n):
    if n == 0:
        ctx.wait()
        host.call("report", "canceled", "plugin " + ctx.reason)
        ctx.check()
    return ctx.call("host", "down", n - 1) + 1


@reg.service("kv")
def depth(ctx, n):
    if n == 0:
        return 0
    return ctx.call("host", "depth", n - 1) + 1


@reg.service("kv")
def echo(b: bytes) -> bytes:
    return b


@reg.service("kv")
def pair():
    return 7, "seven"


@reg.service("kv")
def pid():
    return os.getpid()


running = {"now": 0, "max": 0}


@reg.service("kv")
def work(ms):
    """Runs ms milliseconds, counting the calls of work that run at once."""
    with lock:
        running["now"] += 1
        running["max"] = max(running["max"], running["now"])
    time.sleep(ms / 1000)
    with lock:
        running["now"] -= 1


@reg.service("kv")
def most():
    """The most calls of work that ran at once."""
    with lock:
        return running["max"]


# Health (PROTOCOL.md section 6, health).


@reg.service("kv")
def block(ctx):
    """Holds a worker until its call is canceled; says it runs through
    audit.log ("block"), from a thread of its own so that the worker never
    waits for the host (which would let another worker start)."""
    threading.Thread(target=host.call, args=("audit", "log", "block"), daemon=True).start()
    ctx.wait()
    ctx.check()


@reg.service("kv")
def pinghost(ctx):
    """Pings the host: None once it answers."""
    host.ping(timeout=10, cancel=ctx)


@reg.service("kv")
def leave(ctx, reason):
    """Asks the host to stop this plugin: the host answers, then closes its
    stream, so serve returns and the plugin exits 0."""
    host.leave(reason, cancel=ctx)


# Errors.


def contract_error(kind):
    if kind == "not-found":
        return NotFound('find "k": not found')
    if kind == "conflict":
        return Conflict("k", 42, ["a", "b"])
    return ValueError("plain: " + kind)


@reg.service("errs")
def fail(kind):
    raise contract_error(kind)


@reg.service("errs")
def relay(ctx, kind):
    ctx.call("errs", "fail", kind)  # the host's error, passed on unchanged


@reg.service("errs")
def check(ctx, kind):
    """What the plugin saw of the host's error of kind."""
    try:
        ctx.call("errs", "fail", kind)
    except Exception as e:
        return describe(e)
    return "no error"


def describe(e):
    parts = [name for name, cls in (("not-found", NotFound), ("read-only", ReadOnly), ("conflict", Conflict),
                                    ("service-error", hostcall.ServiceError)) if isinstance(e, cls)]
    if isinstance(e, Conflict):
        parts.append("fields=%s,%s,%s" % (e.Key, e.Holder, "+".join(e.Tags)))
    parts.append("code=%s" % e.code)
    parts.append("message=%s" % e)
    return " ".join(parts)


# Callbacks.

kept = []


@reg.service("cb")
def each(ctx, n, f: Callable):
    return [f(i) for i in range(n)]


@reg.service("cb")
def keep(f):
    kept.append(f)
    f(1)  # valid while the call runs


@reg.service("cb")
def late():
    try:
        kept[-1](2)
    except hostcall.ConnectionClosedError as e:
        return "closed: %s" % e
    return "called"


@reg.service("cb")
def index(ctx, paths):
    """Calls the host's host.index with a progress function, lent for the
    call; returns what progress saw. progress fails at 3 with NotFound."""
    seen = []

    def progress(done):
        seen.append(done)
        if done == 3:
            raise NotFound("stop at %d" % done)

    ctx.call("host", "index", paths, progress)
    return seen


@reg.service("cb")
def hang(ctx):
    """Calls the host's host.hang with a function that waits for its own
    context: canceling this call cancels the host's, and the host's
    cancels the function's."""

    def wait(ctx, i):
        ctx.wait()
        host.call("report", "canceled", "callback " + ctx.reason)
        ctx.check()

    ctx.call("host", "hang", wait)


# Streams (PROTOCOL.md section 6).


@reg.service("st")
def count(ctx, n):
    """0 ... n-1, then NotFound when n is odd."""
    for i in range(n):
        yield i
    if n % 2 == 1:
        raise NotFound("count %d" % n)


@reg.service("st")
def endless(ctx, size):
    """Items of size bytes until the consumer stops; reports how it ended."""
    try:
        while True:
            yield b"y" * size
    finally:
        host.call("report", "canceled", "plugin stream stopped: %s" % ctx.reason)


@reg.service("st")
def data(n):
    """n pattern bytes (byte i is i % 256), read in chunks from a file."""
    return io.BytesIO(bytes(i % 256 for i in range(256)) * (n // 256) + bytes(range(n % 256)))


@reg.service("st")
def pull(ctx, n):
    """Reads the host's host.count(n) whole; checks its items."""
    got = 0
    for x in ctx.call("host", "count", n):
        if x != got:
            raise ValueError("item %d is %r" % (got, x))
        got += 1
    return got


@reg.service("st")
def total(ctx, size, n):
    """The bytes of the host's host.blobs(size, n), checked."""
    t = 0
    with host.call_stream("host", "blobs", size, n, cancel=ctx) as s:
        for b in s:
            if b != bytes([t // size % 256]) * size:
                raise ValueError("blob at %d is wrong" % t)
            t += len(b)
    return t


@reg.service("st")
def readall(ctx, n):
    """The host's host.reader(n), an io.Reader of pattern bytes, checked:
    chunks of bytes (blobs, or base64 below 512 bytes)."""
    got = b"".join(host.call_stream("host", "reader", n, cancel=ctx, returns=bytes))
    if got != bytes(i % 256 for i in range(n)):
        raise ValueError("read %d bytes, not the pattern" % len(got))
    return len(got)


@reg.service("st")
def first(ctx, n, k):
    """The first k items of host.count(n); the rest is left."""
    out = []
    with ctx.call("host", "count", n) as s:
        for x in s:
            if len(out) == k:
                break
            out.append(x)
    return out


@reg.service("st")
def relay(ctx, n):
    """The host's host.count(n), passed on as this call's own stream."""
    return ctx.call("host", "count", n)


@reg.service("st")
def send(ctx, n, k):
    """Lends the host a stream of 0 ... n-1 (host.sum, or host.firstk when
    k >= 0); returns the host's answer and whether the stream was closed."""
    closed = threading.Event()

    def gen():
        try:
            for i in range(n):
                yield i
        finally:
            closed.set()

    if k < 0:
        res = ctx.call("host", "sum", gen())
    else:
        res = ctx.call("host", "firstk", gen(), k)
    return res, closed.wait(10)


@reg.service("st")
def take(ctx, xs):
    """Sums the stream the host passes (a callback without arguments)."""
    return sum(xs())


def main():
    workers = 2 if sys.argv[1:3] == ["serve", "small"] else hostcall.DEFAULT_WORKERS
    hostcall.serve(reg, max_workers=workers)


if __name__ == "__main__":
    main()
