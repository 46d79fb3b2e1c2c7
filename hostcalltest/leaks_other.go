//go:build !linux

package hostcalltest

// descendants cannot list processes without /proc: CheckLeaks checks
// goroutines only.
func descendants() map[int]bool { return nil }

func readProcess(pid int) (process, bool) { return process{}, false }
