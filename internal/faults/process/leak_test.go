//go:build linux

package process

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
)

// checkLeaks makes t fail if, once the test and its other cleanups are
// done, goroutines, descriptors, FIFOs or processes it started are left.
// It returns a directory for the test's named pipes, which must be empty at
// the end. Call it first in the test, so that its checks run last.
func checkLeaks(t *testing.T) (fifoDir string) {
	t.Helper()
	hosttest.CheckGoroutines(t)
	fifoDir = t.TempDir()
	fdsBefore := openFDs()
	t.Cleanup(func() {
		checkChildren(t)
		checkFDs(t, fdsBefore)
		if left, _ := os.ReadDir(fifoDir); len(left) != 0 {
			names := make([]string, len(left))
			for i, e := range left {
				names[i] = e.Name()
			}
			t.Errorf("%d entries left in the named pipes' directory: %v", len(left), names)
		}
	})
	return fifoDir
}

// checkChildren fails t if processes whose parent is the test process
// (zombies included) remain after a grace of a few seconds; it kills and
// reaps them so that they do not spill into the next test.
func checkChildren(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		kids := children()
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d processes left behind: %v", len(kids), kids)
			for _, k := range kids {
				syscall.Kill(k.pid, syscall.SIGKILL)
				var ws syscall.WaitStatus
				syscall.Wait4(k.pid, &ws, 0, nil)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// child is a process whose parent is the test process.
type child struct {
	pid   int
	state string // R, S, Z...
	comm  string
}

func (c child) String() string { return fmt.Sprintf("pid %d (%s) state %s", c.pid, c.comm, c.state) }

// children lists the processes whose parent is the test process, zombies
// included, from /proc/*/stat.
func children() []child {
	me := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var kids []child
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i, j := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if i < 0 || j < i {
			continue
		}
		f := strings.Fields(string(stat[j+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == me {
			kids = append(kids, child{pid: pid, state: f[0], comm: string(stat[i+1 : j])})
		}
	}
	return kids
}

// openFDs maps the test process's open descriptors to what they are.
func openFDs() map[int]string {
	dir := "/proc/self/fd"
	entries, _ := os.ReadDir(dir)
	fds := make(map[int]string, len(entries))
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // the listing's own descriptor, closed since
		}
		fds[n] = target
	}
	return fds
}

// checkFDs fails t if the process holds more descriptors than before,
// after a short grace, and lists the new ones.
func checkFDs(t *testing.T, before map[int]string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		now := openFDs()
		if len(now) <= len(before) {
			return
		}
		if time.Now().After(deadline) {
			var extra []string
			for fd, target := range now {
				if before[fd] != target {
					extra = append(extra, fmt.Sprintf("%d -> %s", fd, target))
				}
			}
			sort.Strings(extra)
			t.Errorf("%d descriptors leaked (%d before, %d after): %v", len(now)-len(before), len(before), len(now), extra)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
