//go:build linux

package process

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

// Roles of the test binary in the process group case (roleEnv).
const (
	spawnRole      = "spawn"      // a plugin that hands its connection to a grandchild and exits 0
	grandchildRole = "grandchild" // the grandchild: says hello, then stays connected
	stubbornEnv    = "HOSTCALL_FAULTS_STUBBORN"
)

// grandchildLife bounds how long a grandchild lives if nothing ends it.
const grandchildLife = 60 * time.Second

// spawnMain is the spawn plugin: it starts the test binary again as the
// grandchild, with the same arguments (so the grandchild dials the host
// with them) and the same stderr, waits until the grandchild has said
// hello to the host, and exits 0 without waiting for it.
func spawnMain(args []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawn:", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawn:", err)
		return 1
	}
	gc := exec.Command(exe, args...)
	gc.Env = append(os.Environ(), roleEnv+"="+grandchildRole)
	gc.Stderr = os.Stderr
	gc.ExtraFiles = []*os.File{w} // fd 3: the grandchild says "ready" there
	if err := gc.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "spawn: starting the grandchild:", err)
		return 1
	}
	w.Close()
	if _, err := bufio.NewReader(r).ReadString('\n'); err != nil {
		fmt.Fprintln(os.Stderr, "spawn: the grandchild did not say ready:", err)
		return 1
	}
	return 0
}

// grandchildMain dials the host, says hello with its pid, writes "ready"
// to descriptor 3 and stays connected, idle. With $HOSTCALL_FAULTS_STUBBORN
// set it ignores SIGTERM.
func grandchildMain() int {
	if os.Getenv(stubbornEnv) != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if err := service.InitServiceClient(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "grandchild:", err)
		return 1
	}
	var hello func(int) error
	getService("hello", &hello)
	if err := hello(os.Getpid()); err != nil {
		fmt.Fprintln(os.Stderr, "grandchild: hello:", err)
		return 1
	}
	ready := os.NewFile(3, "ready")
	fmt.Fprintln(ready, "ready")
	ready.Close()
	time.Sleep(grandchildLife)
	return 0
}

// TestPluginExitEndsItsGroup runs, bound to a host, a plugin that exits 0
// while the grandchild it started holds its stderr and its connection to
// the host. The run must report the plugin's own exit (nil) and end with
// the grandchild, which the group's ending kills: with SIGTERM, or with
// SIGKILL after the grace period when it ignores SIGTERM. The test process
// is a child subreaper, so the grandchild, orphaned, becomes its child:
// the test reaps it and sees the signal that ended it.
func TestPluginExitEndsItsGroup(t *testing.T) {
	if !subreaper {
		t.Skip("needs PR_SET_CHILD_SUBREAPER to see how the grandchild ended")
	}
	for _, tc := range []struct {
		name  string
		env   []string
		grace time.Duration
		sig   syscall.Signal
	}{
		{"polite grandchild", nil, pluginexec.DefaultGracePeriod, syscall.SIGTERM},
		{"grandchild ignoring SIGTERM", []string{stubbornEnv + "=1"}, 300 * time.Millisecond, syscall.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			plug := testPlugin(t)
			s := newHostState()
			tr := newTracker(1)
			e := startExec(t, runs(plug, &pluginexec.Command{Path: []string{"spawn"}, Type: "spawn"}),
				pluginexec.WithEnv(append([]string{roleEnv + "=" + spawnRole}, tc.env...)...),
				pluginexec.WithGracePeriod(tc.grace), tr.option(), host.Bind(s.registry()))

			var pid int
			select {
			case pid = <-s.pids:
			case <-e.done:
				t.Fatalf("Exec returned before the grandchild said hello: %v", e.err)
			case <-time.After(60 * time.Second):
				t.Fatal("watchdog: the grandchild did not say hello within 60s")
			}
			if end := tr.wait(t, 30*time.Second); end.err != nil {
				t.Errorf("run error %v, want nil: the plugin exited 0", end.err)
			}
			if err := e.wait(t, 30*time.Second); err != nil {
				t.Errorf("Exec = %v, want nil", err)
			}
			ws := reapAdopted(t, pid)
			if !ws.Signaled() || ws.Signal() != tc.sig {
				t.Errorf("the grandchild ended with status %#x, want killed by %v", int(ws), tc.sig)
			}
		})
	}
}

// reapAdopted waits for pid, a grandchild the test process adopted as a
// subreaper, to end, reaps it and returns its status, failing t after a
// watchdog of seconds (checkChildren then kills it).
func reapAdopted(t *testing.T, pid int) syscall.WaitStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if got == pid {
			return ws
		}
		if time.Now().After(deadline) {
			t.Fatalf("watchdog: grandchild %d not ended 10s after the run (wait4: %d, %v)", pid, got, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
