//go:build unix && !linux

package host

import (
	"errors"
	"syscall"
)

// processIdentity returns "0" and 0: without procfs, run directories carry
// no machine token nor start time.
func processIdentity() (string, uint64) { return "0", 0 }

// processAlive reports whether pid exists. Without start times a reused
// pid keeps a stale directory until that process is gone too.
func processAlive(pid int, _ uint64) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
