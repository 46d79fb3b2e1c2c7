package wire

import (
	"io"
	"time"
)

// InterruptRead makes a blocked Read on r return, through r's read
// deadline, and reports whether r has one.
func InterruptRead(r io.Reader) bool {
	d, ok := r.(interface{ SetReadDeadline(time.Time) error })
	return ok && d.SetReadDeadline(time.Unix(1, 0)) == nil
}

// InterruptWrite is InterruptRead for a blocked Write on w.
func InterruptWrite(w io.Writer) bool {
	d, ok := w.(interface{ SetWriteDeadline(time.Time) error })
	return ok && d.SetWriteDeadline(time.Unix(1, 0)) == nil
}
