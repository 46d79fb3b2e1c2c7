package hostcalltest

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leakGrace is how long CheckLeaks waits for goroutines and processes
// started during the test to end before it reports them (a variable for
// the tests of CheckLeaks itself).
var leakGrace = 5 * time.Second

// CheckLeaks fails t if, when the test ends, goroutines or child processes
// started during the test are still there. It waits a few seconds for them
// to end first, then names what leaked: the stacks of the goroutines, the
// process ids, states and command lines of the processes (zombies
// included: a child nobody waited for).
//
// Call it first in the test: it checks at cleanup, after the cleanups
// registered after it (those of NewClient, StartFunc, StartPlugin), which
// end what they started.
//
// It tells the test's goroutines from the others by when they started, so
// it cannot be used in tests that run in parallel with others
// (t.Parallel). Child processes are listed from /proc, on Linux, with
// their own children; elsewhere only goroutines are checked.
func CheckLeaks(t testing.TB) {
	t.Helper()
	goroutines := goroutineIDs(stacks())
	children := descendants()
	t.Cleanup(func() {
		var g []string
		var p []process
		for deadline := time.Now().Add(leakGrace); ; time.Sleep(20 * time.Millisecond) {
			g = newGoroutines(goroutines)
			p = newProcesses(children)
			if len(g) == 0 && len(p) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(g) > 0 {
			t.Errorf("hostcalltest: %d goroutines started during the test are still running %v after it:\n\n%s",
				len(g), leakGrace, strings.Join(g, "\n\n"))
		}
		for _, proc := range p {
			t.Errorf("hostcalltest: a process started during the test is still there %v after it: %s", leakGrace, proc)
		}
	})
}

// stacks returns the stacks of every goroutine, one string each.
func stacks() []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(strings.TrimSpace(string(buf[:n])), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID reads the id in a stack's first line, "goroutine 42 [...]:".
func goroutineID(stack string) (int, bool) {
	rest, ok := strings.CutPrefix(stack, "goroutine ")
	if !ok {
		return 0, false
	}
	id, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(id)
	return n, err == nil
}

func goroutineIDs(all []string) map[int]bool {
	ids := map[int]bool{}
	for _, s := range all {
		if id, ok := goroutineID(s); ok {
			ids[id] = true
		}
	}
	return ids
}

// newGoroutines returns the stacks of the goroutines that are not in
// before, but for the one asking and those the standard library starts
// once and keeps (the signal handler's).
func newGoroutines(before map[int]bool) []string {
	all := stacks()
	var out []string
	for i, s := range all {
		id, ok := goroutineID(s)
		if !ok || before[id] || i == 0 || lifelong(s) {
			continue // the first stack is the caller's own
		}
		out = append(out, s)
	}
	return out
}

// lifelong reports whether a goroutine is one the standard library starts
// on first use and keeps for the life of the process.
func lifelong(stack string) bool {
	return slices.ContainsFunc([]string{"os/signal.signal_recv", "os/signal.loop"}, func(f string) bool {
		return strings.Contains(stack, f)
	})
}

// process is a process found in /proc.
type process struct {
	pid     int
	state   string
	command string
}

func (p process) String() string {
	return fmt.Sprintf("pid %d, state %s: %s", p.pid, p.state, p.command)
}

// newProcesses returns the descendants of the test process that are not in
// before.
func newProcesses(before map[int]bool) []process {
	var out []process
	for pid := range descendants() {
		if !before[pid] {
			if p, ok := readProcess(pid); ok {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b process) int { return a.pid - b.pid })
	return out
}
