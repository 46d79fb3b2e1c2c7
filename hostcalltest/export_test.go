package hostcalltest

import "time"

// SetLeakGrace sets CheckLeaks's grace period and returns a func that
// restores it.
func SetLeakGrace(d time.Duration) (restore func()) {
	old := leakGrace
	leakGrace = d
	return func() { leakGrace = old }
}
