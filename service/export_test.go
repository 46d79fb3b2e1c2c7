package service

import (
	"io"
	"time"
)

// HelloAnswered returns a channel closed once c's hello has been answered
// (or abandoned), for tests that must not race the answer.
func HelloAnswered(c *Client) <-chan struct{} { return c.conn.HelloAnswered() }

// SetLogStderr makes c's log handlers write on w what they would write on
// stderr. Call it before the first record.
func SetLogStderr(c *Client, w io.Writer) { c.logSink().stderr = w }

// GuardOrphan starts c's orphan guard with exit in place of the process's
// exit, for tests that must outlive it.
func GuardOrphan(c *Client, grace time.Duration, exit func(gone time.Duration)) error {
	return c.guardOrphan(grace, exit)
}
