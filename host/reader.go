package host

import (
	"errors"
	"fmt"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
)

// inlineBudget is how long a call may run on the reader's goroutine before
// another goroutine takes over reading: long enough for a typical small
// service, short enough that a cancel frame or the next call waits little.
const inlineBudget = 200 * time.Microsecond

// read is the connection's reader. Exactly one goroutine reads at a time:
// Serve's own at first, then, each time a call run inline outlives
// inlineBudget, a new one started by the timer of that call (runInline),
// while the old one finishes its call and returns. The last reader reports
// the error that ended the stream on readDone.
//
// Running small calls inline matters: handing each call to a new goroutine
// wakes another thread of the scheduler, and between two processes on the
// same machine that hand-off costs more than the call itself (see
// docs/bench).
func (c *conn) read() {
	for {
		fr, err := c.fr.Next()
		if err != nil {
			c.endReading(err)
			return
		}
		handedOff, err := c.handleFrame(fr)
		if err != nil {
			c.endReading(err)
			return
		}
		if handedOff {
			return
		}
		if err := c.wr.Err(); err != nil {
			c.endReading(fmt.Errorf("host: writing responses: %w", err))
			return
		}
	}
}

func (c *conn) endReading(err error) {
	if errors.Is(err, wire.ErrTruncated) {
		err = fmt.Errorf("host: the plugin's %w", err)
	}
	c.readEnded.Store(true)
	c.readDone <- err
}

// runInline runs cl on the reader's goroutine and reports whether reading
// was handed over to another goroutine meanwhile.
func (c *conn) runInline(cl *call) (handedOff bool) {
	t := time.AfterFunc(inlineBudget, func() {
		if !c.readEnded.Load() {
			c.read()
		}
	})
	c.runCall(cl)
	return !t.Stop()
}
