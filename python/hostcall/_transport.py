"""Finding and opening the host's URLs (PROTOCOL.md section 1)."""

import fcntl
import os
import socket
import sys
from urllib.parse import unquote, urlsplit

HOST_FILE_FLAG = "host-file"
HOST_FLAG = "host"


def host_urls(argv=None):
    """The URLs the host passed with --host-file (or its alias --host), in
    order, found in argv (sys.argv[1:] by default): ``--host-file URL`` and
    ``--host-file=URL`` both count; a ``--`` ends the search."""
    if argv is None:
        argv = sys.argv[1:]
    urls = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            break
        for name in (HOST_FILE_FLAG, HOST_FLAG):
            if a == "--" + name and i + 1 < len(argv):
                urls.append(argv[i + 1])
                i += 1
                break
            if a.startswith("--" + name + "="):
                urls.append(a[len(name) + 3 :])
                break
        i += 1
    return urls


class Stream:
    """One end of the connection: read(n) and write(data) on descriptors or
    a socket."""

    def __init__(self, rfd=None, wfd=None, sock=None, name=""):
        self.rfd, self.wfd, self.sock, self.name = rfd, wfd, sock, name

    def read(self, n):
        if self.sock is not None:
            return self.sock.recv(n)
        return os.read(self.rfd, n)

    def write(self, data):
        """Writes all of data (a bytes-like object)."""
        if self.sock is not None:
            self.sock.sendall(data)
            return
        if self.wfd is None:
            raise BrokenPipeError("the stream to the host is closed")
        view = memoryview(data)
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]

    def close_write(self):
        """Ends the plugin-to-host stream: the host sees the end of it."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return
        if self.wfd is not None and self.wfd != self.rfd:
            fd, self.wfd = self.wfd, None
            _close(fd)

    def close(self):
        """Closes what is left open. A reader blocked in read may stay
        blocked until the host closes its end."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            return
        for attr in ("wfd", "rfd"):
            fd = getattr(self, attr)
            if fd is not None:
                setattr(self, attr, None)
                if attr == "rfd" and fd == self.wfd:
                    continue
                _close(fd)


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def _local_path(u, url):
    if u.netloc not in ("", "localhost"):
        raise ValueError("%s URL %r names host %r: only local paths can be opened (write %s:///path, with three slashes)"
                         % (u.scheme, url, u.netloc, u.scheme))
    if u.query or u.fragment or url.endswith("?"):
        raise ValueError("%s URL %r has a query or fragment: escape '?' and '#' in the path" % (u.scheme, url))
    if not u.path.startswith("/"):
        raise ValueError("%s URL %r needs an absolute path, as in %s:///path" % (u.scheme, url, u.scheme))
    return unquote(u.path)


def _open_fd(u, url, flags):
    if u.path not in ("", "/") or u.query or u.fragment or not u.netloc.isdigit():
        raise ValueError("fd URL %r must be written fd://N, N a descriptor number" % url)
    fd = int(u.netloc)
    try:
        fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        raise ValueError("descriptor %d of %r is not open in this process (was it passed to it?)" % (fd, url)) from None
    have, want = fl & os.O_ACCMODE, flags & os.O_ACCMODE
    if have != os.O_RDWR and have != want:
        raise ValueError("descriptor %d of %r is not open for %s" % (fd, url, "reading" if want == os.O_RDONLY else "writing"))
    if fd <= 2:
        return os.dup(fd)
    nfd = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)  # ours alone now: an inherited descriptor is opened once
    return nfd


def open_url(url, flags):
    """Opens one host URL with flags (os.O_RDONLY, os.O_WRONLY or os.O_RDWR):
    a descriptor, or a connected socket for unix://. Errors name the URL."""
    u = urlsplit(url)
    if u.scheme == "file":
        path = _local_path(u, url)
        try:
            return os.open(path, flags | os.O_CLOEXEC)
        except OSError as e:
            raise OSError(e.errno, "opening %s: %s" % (url, e.strerror)) from None
    if u.scheme == "fd":
        return _open_fd(u, url, flags)
    if u.scheme == "unix":
        if flags & os.O_ACCMODE != os.O_RDWR:
            raise ValueError("unix URL %r opens read-write: pass it as the only URL" % url)
        path = _local_path(u, url)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError as e:
            s.close()
            raise OSError(e.errno, "connecting to %s: %s" % (url, e.strerror)) from None
        return s
    raise ValueError("no opener for URL scheme %r (of %r): hostcall for Python knows file, fd and unix" % (u.scheme, url))


def open_urls(urls):
    """Opens the host URLs, one (read-write) or two (input, then output),
    and returns a Stream."""
    urls = list(urls)
    if len(urls) == 1:
        h = open_url(urls[0], os.O_RDWR)
        if isinstance(h, socket.socket):
            return Stream(sock=h, name=urls[0])
        return Stream(rfd=h, wfd=h, name=urls[0])
    if len(urls) == 2:
        for u in urls:
            if urlsplit(u).scheme == "unix":
                raise ValueError("unix URL %r opens read-write: pass it as the only URL" % u)
        rfd = open_url(urls[0], os.O_RDONLY)
        try:
            wfd = open_url(urls[1], os.O_WRONLY)
        except BaseException:
            _close(rfd)
            raise
        return Stream(rfd=rfd, wfd=wfd, name=" ".join(urls))
    raise ValueError("%d host URLs %r: want one (read-write) or two (input, output)" % (len(urls), urls))
