"""A scripted host on real pipes, for the client's tests: the test reads
the frames the client writes and writes whatever bytes it likes back."""

import json
import os
import threading

from hostcall import _scan
from hostcall._transport import Stream
from hostcall.client import Client


class FakeHost:
    """Two OS pipes between a Client and the test, which plays the host."""

    def __init__(self, max_frame=64 << 20):
        self.c2h_r, c2h_w = os.pipe()  # client to host
        h2c_r, self.h2c_w = os.pipe()  # host to client
        self.framer = _scan.Framer(lambda n: os.read(self.c2h_r, n), 64 << 20)
        self.client = Client(Stream(rfd=h2c_r, wfd=c2h_w), max_frame=max_frame)
        self._closed = False

    def read(self, timeout=10):
        """The next frame the client wrote, as (dict, blobs)."""
        out = {}

        def read():
            f = self.framer.next()
            m = json.loads(f.data)
            blobs, _ = self.framer.read_blobs(m.get("blobs"), True)
            out["frame"] = (m, blobs)

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        if "frame" not in out:
            raise AssertionError("no frame from the client within %ss" % timeout)
        return out["frame"]

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        while data:
            n = os.write(self.h2c_w, data)
            data = data[n:]

    def send(self, obj, blobs=()):
        """Writes obj as one frame, compact, newline-terminated, and blobs."""
        self.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n" + b"".join(blobs))

    def hello(self, protocol=2, features=("cancel", "timeout", "codes", "blobs"), max_frame=64 << 20):
        """Reads the client's hello and answers it as a protocol 2 host, or,
        with protocol=1, with an error as a protocol 1 host does."""
        m, _ = self.read()
        assert m["type"] == "hello", m
        if protocol == 1:
            self.send({"sequence": m["sequence"], "error": 'undefined namespace ""'})
        else:
            self.send({"sequence": m["sequence"], "reply": {"protocol": 2, "features": list(features), "maxFrame": max_frame}})
        self.client._hello_done.wait(10)
        return m

    def close(self):
        """The host goes away: its end of both pipes closes."""
        if not self._closed:
            self._closed = True
            os.close(self.h2c_w)
            os.close(self.c2h_r)

    def shutdown(self):
        self.client.close()
        self.close()
        self.client._reader.join(10)
        self.client._stream.close()


def call_async(f, *args, **kwargs):
    """Runs f in a thread; returns a function that waits for its result
    (re-raising its exception)."""
    box = {}

    def run():
        try:
            box["ok"] = f(*args, **kwargs)
        except BaseException as e:  # noqa: B902 - handed to the waiter
            box["err"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()

    def wait(timeout=10):
        t.join(timeout)
        if t.is_alive():
            raise AssertionError("call still running after %ss" % timeout)
        if "err" in box:
            raise box["err"]
        return box["ok"]

    return wait
