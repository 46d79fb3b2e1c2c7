package host

import (
	"io"
	"time"
)

// interruptRead makes a blocked Read on r return: through a read deadline
// when r has one, else by closing r. It reports whether it could.
func interruptRead(r io.Reader) bool {
	if d, ok := r.(interface{ SetReadDeadline(time.Time) error }); ok && d.SetReadDeadline(time.Unix(1, 0)) == nil {
		return true
	}
	if c, ok := r.(io.Closer); ok {
		c.Close()
		return true
	}
	return false
}

// interruptWrite makes a blocked Write on w return, like interruptRead.
func interruptWrite(w io.Writer) bool {
	if d, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok && d.SetWriteDeadline(time.Unix(1, 0)) == nil {
		return true
	}
	if c, ok := w.(io.Closer); ok {
		c.Close()
		return true
	}
	return false
}
