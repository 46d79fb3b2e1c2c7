package opener

import (
	"io"
	"net/url"
	"os"
)

// openFile is the FileOpener of the file scheme: it opens the URL's path
// with os.OpenFile, which covers FIFOs, procfs links to anonymous pipes and
// regular files. The descriptor is close-on-exec (Go sets it on every file
// it opens). The stream returned is the *os.File itself, so callers can
// reach the descriptor through Fd or syscall.Conn.
//
// If flag includes os.O_CREATE, a new file gets mode 0600.
func openFile(u *url.URL, flag int) (io.ReadWriteCloser, error) {
	path, err := localPath(u)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, err // an *os.PathError, which names the path
	}
	return f, nil
}
