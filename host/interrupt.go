package host

import (
	"io"

	"github.com/hostcall/hostcall/internal/wire"
)

// interruptRead makes a blocked Read on r return: through a read deadline
// when r has one, else by closing r.
func interruptRead(r io.Reader) {
	if !wire.InterruptRead(r) {
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
	}
}

// interruptWrite makes a blocked Write on w return, like interruptRead.
func interruptWrite(w io.Writer) {
	if !wire.InterruptWrite(w) {
		if c, ok := w.(io.Closer); ok {
			c.Close()
		}
	}
}
