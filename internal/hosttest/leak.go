package hosttest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// CheckGoroutines fails t if, at cleanup, goroutines started during the
// test are still running after a grace of a few seconds. Tests using it must
// not run in parallel with others.
func CheckGoroutines(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("%d goroutines leaked (%d before, %d after):\n%s", n-before, before, n, ourStacks(string(buf)))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// ourStacks keeps the goroutine dumps that mention this module.
func ourStacks(all string) string {
	var keep []string
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, "hostcall/hostcall/") && !strings.Contains(g, "CheckGoroutines") {
			keep = append(keep, g)
		}
	}
	return strings.Join(keep, "\n\n")
}
