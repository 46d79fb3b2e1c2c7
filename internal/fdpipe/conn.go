package fdpipe

import (
	"io"
	"syscall"
	"time"
)

// Conn is what Adopt returns: a *File, or the *os.File it was given.
type Conn interface {
	io.ReadWriteCloser
	syscall.Conn
	SetDeadline(time.Time) error
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// MaxLive is the most Files open at once; past it, Adopt returns its file
// as it is. Each File holds a thread while it waits (two when both its
// directions wait).
var MaxLive int64 = 1024 // a var for tests
