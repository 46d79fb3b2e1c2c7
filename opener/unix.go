package opener

import (
	"io"
	"net"
	"net/url"
)

// openUnix is the FileOpener of the unix scheme: it connects a Unix stream
// socket to the URL's path and returns the *net.UnixConn. A socket is
// read-write whatever flag asks for, so one unix URL carries both
// directions.
func openUnix(u *url.URL, _ int) (io.ReadWriteCloser, error) {
	path, err := localPath(u)
	if err != nil {
		return nil, err
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err // a *net.OpError, which names the path
	}
	return c, nil
}
