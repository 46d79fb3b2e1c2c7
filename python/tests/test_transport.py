"""Finding the host's URLs in argv and opening them, on real pipes,
FIFOs and sockets."""

import io
import json
import os
import socket
import tempfile
import threading
import unittest

import hostcall
from hostcall._transport import host_urls, open_url, open_urls


class HostURLsTest(unittest.TestCase):
    def test_forms(self):
        argv = ["scan", "--host-file", "file:///a", "--host=fd://4", "x", "--host-file=file:///b%20c"]
        self.assertEqual(host_urls(argv), ["file:///a", "fd://4", "file:///b%20c"])
        self.assertEqual(host_urls(["--", "--host-file", "x"]), [])
        self.assertEqual(host_urls(["--host-file"]), [])
        self.assertTrue(hostcall.hosted(["--host", "fd://3"]))


class OpenTest(unittest.TestCase):
    def roundtrip(self, stream, peer_r, peer_w):
        """Writes through stream to peer_r, and from peer_w back."""
        stream.write(b"ping")
        self.assertEqual(os.read(peer_r, 4), b"ping")
        os.write(peer_w, b"pong")
        self.assertEqual(stream.read(4), b"pong")

    def pipes(self):
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        for fd in (r1, w1, r2, w2):
            self.addCleanup(_close, fd)
        return (r1, w1), (r2, w2)

    def test_procfs_links(self):
        (r1, w1), (r2, w2) = self.pipes()
        pid = os.getpid()
        s = open_urls(["file:///proc/%d/fd/%d" % (pid, r1), "file:///proc/%d/fd/%d" % (pid, w2)])
        self.addCleanup(s.close)
        self.roundtrip(s, r2, w1)

    def test_fds(self):
        (r1, w1), (r2, w2) = self.pipes()
        s = open_urls(["fd://%d" % os.dup(r1), "fd://%d" % os.dup(w2)])
        self.addCleanup(s.close)
        self.roundtrip(s, r2, w1)

    def test_fd_access_mode_checked(self):
        (r1, w1), _ = self.pipes()
        with self.assertRaises(ValueError) as cm:
            open_url("fd://%d" % r1, os.O_WRONLY)
        self.assertIn("not open for writing", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            open_url("fd://987", os.O_RDONLY)
        self.assertIn("not open", str(cm.exception))

    def test_fifos(self):
        d = tempfile.mkdtemp()
        self.addCleanup(_rmtree, d)
        a, b = os.path.join(d, "in put"), os.path.join(d, "out")
        os.mkfifo(a)
        os.mkfifo(b)
        peer = {}

        def host():  # opens its ends in the order the plugin opens its own
            peer["w"] = os.open(a, os.O_WRONLY)
            peer["r"] = os.open(b, os.O_RDONLY)

        t = threading.Thread(target=host)
        t.start()
        s = open_urls(["file://" + a.replace(" ", "%20"), "file://" + b])
        t.join(10)
        self.addCleanup(s.close)
        self.addCleanup(_close, peer["w"])
        self.addCleanup(_close, peer["r"])
        self.roundtrip(s, peer["r"], peer["w"])

    def test_unix_socket(self):
        d = tempfile.mkdtemp()
        self.addCleanup(_rmtree, d)
        path = os.path.join(d, "sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        self.addCleanup(srv.close)
        s = open_urls(["unix://" + path])
        self.addCleanup(s.close)
        conn, _ = srv.accept()
        self.addCleanup(conn.close)
        s.write(b"ping")
        self.assertEqual(conn.recv(4), b"ping")
        conn.sendall(b"pong")
        self.assertEqual(s.read(4), b"pong")

    def test_errors_name_the_url(self):
        for urls, want in (
            (["http://x/y"], "no opener for URL scheme 'http'"),
            (["file://otherhost/x"], "names host"),
            (["file:///nonexistent/dir/x"], "file:///nonexistent/dir/x"),
            (["fd://x"], "fd://N"),
            (["a", "b", "c"], "want one"),
            (["unix:///a", "file:///b"], "read-write"),
        ):
            with self.assertRaises((ValueError, OSError)) as cm:
                open_urls(urls)
            self.assertIn(want, str(cm.exception), urls)


class InfoTest(unittest.TestCase):
    def test_handle_info(self):
        m = {"name": "p", "version": "1", "commands": [{"path": ["scan", "dir"], "type": "scanner", "data": {"k": 1}}]}
        out = io.StringIO()
        self.assertTrue(hostcall.handle_info(out, ["info"], m))
        self.assertEqual(json.loads(out.getvalue()), dict(m, manifestVersion=1))
        self.assertTrue(out.getvalue().endswith("}\n"))
        out = io.StringIO()
        self.assertFalse(hostcall.handle_info(out, ["scan"], m))
        self.assertEqual(out.getvalue(), "")

    def test_invalid_manifest(self):
        for m in ({"commands": []}, {"name": "p", "commands": [{"path": []}]}, {"name": "p", "commands": [{"path": [""]}]}):
            with self.assertRaises(ValueError):
                hostcall.manifest_json(m)


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def _rmtree(d):
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)


if __name__ == "__main__":
    unittest.main()
