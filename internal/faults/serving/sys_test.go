package serving

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// openFDs lists this process's descriptors with what they point to.
func openFDs() map[string]string {
	dir := "/proc/self/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	fds := map[string]string{}
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil {
			fds[e.Name()] = target
		}
	}
	return fds
}

// checkFDs fails t, at cleanup, if descriptors opened during the test are
// still open after a grace of a few seconds. Register it before anything
// whose cleanup closes descriptors.
func checkFDs(t *testing.T) {
	t.Helper()
	before := openFDs()
	t.Cleanup(func() {
		var leaked []string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			leaked = leaked[:0]
			for fd, target := range openFDs() {
				if before[fd] != target {
					leaked = append(leaked, fd+" -> "+target)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(leaked) > 0 {
			sort.Strings(leaked)
			t.Errorf("%d descriptors leaked: %s", len(leaked), strings.Join(leaked, ", "))
		}
	})
}

// messageFault says what makes msg unfit as an error message, "" if
// nothing: invalid UTF-8, or a control character.
func messageFault(msg string) string {
	if !utf8.ValidString(msg) {
		return fmt.Sprintf("invalid UTF-8 in %q", msg)
	}
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c < 0x20 || c == 0x7f {
			return fmt.Sprintf("control character %#02x at byte %d of %q", c, i, msg)
		}
	}
	return ""
}
