#!/usr/bin/env python3
"""A hostcall plugin in Python: the example run by examples/python's test
against the host in examples/python/host.

    pip install ./python      # or PYTHONPATH=python
    go run ./examples/python/host examples/python/plugin.py

Its command demo calls the host's services; its command serve serves
functions of its own, which the host calls (host.Start).
"""

import json
import sys
import threading
from typing import Callable

import hostcall

hostcall.serve_info({
    "name": "pyplugin",
    "version": "1.0.0",
    "description": "calls the example host's services from Python, and serves it functions",
    "commands": [{"path": ["demo"], "type": "demo"}, {"path": ["serve"], "type": "serve"}],
})


class Rude(Exception):
    """An error of the contract between this plugin and its host: the host
    registers the same code (registry.RegisterError), so the error keeps its
    identity on the way (errors.Is holds in Go)."""


hostcall.register_error("greet.rude", Rude)


def failure(f, *args, **kwargs):
    """Calls f and says how it failed: the exception's class and code."""
    try:
        f(*args, **kwargs)
    except hostcall.HostcallError as e:
        return "%s %s" % (type(e).__name__, e.code)
    return "no error"


def main():
    host = hostcall.connect()
    if not hostcall.hosted():
        print(failure(host.call, "calc", "add", 1, 2))
        return
    print("add", host.call("calc", "add", 1, 2))
    add = host.service("calc", "add")
    print("service add", add(10, 20))
    print("pair", json.dumps(host.call("calc", "pair")))
    print("protocol", host.protocol, sorted(host.features()))

    small, big = b"\x00\x01hello", bytes(range(256)) * 4096  # big: 1 MiB, a blob
    print("echo small", host.call("calc", "echo", small, returns=bytes) == small)
    print("echo big", host.call("calc", "echo", big, returns=bytes) == big)

    print("has calc", host.has_namespace("calc"), "has nope", host.has_namespace("nope"))
    print("manifest", json.dumps(host.get_manifest("calc")), json.dumps(host.get_manifest("empty")))
    print("services", " ".join(host.list_services("calc")))

    try:
        host.call("calc", "fail")
    except hostcall.ServiceError as e:
        print("fail", e.code, e.message)
    print("panic", failure(host.call, "calc", "panic"))
    print("unknown service", failure(host.call, "calc", "mul", 1, 2))
    print("unknown namespace", failure(host.call, "nope", "add", 1, 2))
    print("bad arguments", failure(host.call, "calc", "add", "one", 2))
    print("manifest of nope", failure(host.get_manifest, "nope"))

    print("sleep", host.call("calc", "sleep", 1, timeout=30))
    print("timeout", failure(host.call, "calc", "sleep", 60000, timeout=0.2))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    print("cancel", failure(host.call, "calc", "sleep", 60000, cancel=stop))
    # Both sleeps end in the host by their context: the timeout travelled,
    # the cancel frame arrived. Wait for the host to have seen both.
    seen = 0
    for _ in range(500):
        seen = host.call("calc", "cancels")
        if seen >= 2:
            break
        threading.Event().wait(0.01)
    print("canceled in the host", seen)

    # Concurrent calls from many threads on the one connection.
    results = {}

    def worker(n):
        results[n] = host.call("calc", "add", n, n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("concurrent", all(results[n] == 2 * n for n in range(50)), len(results))
    host.close()
    print("after close", failure(host.call, "calc", "add", 1, 2))


def serve():
    """The serve command: serves namespace greet until the host stops the
    plugin."""
    reg = hostcall.Registry()
    reg.define("greet", {"description": "greetings from Python"})

    @reg.service("greet")
    def hello(name):
        return "hello, " + name

    @reg.service("greet")
    def total(ctx, numbers):
        """Adds numbers with the host's calc.add: calls to the host inside
        the host's call, canceled with it (ctx.call)."""
        t = 0
        for n in numbers:
            t = ctx.call("calc", "add", t, n)
        return t

    @reg.service("greet")
    def shout(text: bytes) -> bytes:  # bytes both ways: blobs from 512 bytes
        return text.upper()

    @reg.service("greet")
    def each(n, f: Callable):
        """Calls f, a func the host lent for this call, n times."""
        return [f(i) for i in range(n)]

    @reg.service("greet")
    def rude(name):
        raise Rude("not talking to " + name)

    @reg.service("greet")
    def wait(ctx):
        """Waits for the end of the call: a cancel, its deadline or the end
        of the connection."""
        ctx.wait()
        ctx.check()  # raises the error that says why: its code answers the host

    hostcall.serve(reg)  # until the host closes the connection


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    else:
        main()
