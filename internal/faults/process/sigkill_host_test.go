//go:build linux

package process

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
)

// TestHostKilledPluginDiesWithIt kills a host process, run by the test,
// while its plugin, run with the default executor, has holdCalls calls in
// flight: the plugin, which would otherwise sleep, must die of the
// parent-death signal.
func TestHostKilledPluginDiesWithIt(t *testing.T) {
	checkLeaks(t)
	h := startHost(t, "default")
	killAt := h.kill(t)
	ws := h.reapPlugin(t, 5*time.Second)
	gone := time.Since(killAt)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("the plugin ended with wait status %#x (exited %v, code %d), want killed by SIGKILL, the parent-death signal",
			uint32(ws), ws.Exited(), ws.ExitStatus())
	}
	t.Logf("FIGURE sigkill-host (parent-death signal): %d calls in flight, the plugin gone %s after the host was killed",
		holdCalls, ms(gone))
}

// TestHostKilledPendingCallsFailWithErrClosed kills a host process while
// its plugin, run without the parent-death signal, has holdCalls calls in
// flight: every pending call must fail with an error matching
// service.ErrClosed, and the plugin must then exit on its own.
func TestHostKilledPendingCallsFailWithErrClosed(t *testing.T) {
	checkLeaks(t)
	h := startHost(t, "no-pdeathsig")
	killAt := h.kill(t)
	ws := h.reapPlugin(t, 20*time.Second)
	exited := time.Since(killAt)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the plugin ended with wait status %#x, want exit status 0", uint32(ws))
	}
	b, err := os.ReadFile(filepath.Join(h.dir, "result.json"))
	if err != nil {
		t.Fatalf("the plugin left no results: %v", err)
	}
	var res pendingResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("the plugin's results %q: %v", b, err)
	}
	if res.Calls != holdCalls || res.Closed != holdCalls {
		t.Errorf("%d of the plugin's %d pending calls failed with ErrClosed, want all %d; others: %q",
			res.Closed, res.Calls, holdCalls, res.Others)
	}
	first := time.Unix(0, res.FirstFail).Sub(killAt)
	last := time.Unix(0, res.LastFail).Sub(killAt)
	t.Logf("FIGURE sigkill-host (no parent-death signal): %d calls in flight, all %d failed with ErrClosed %s after the host was killed (the first after %s); the plugin exited %s after",
		holdCalls, res.Closed, ms(last), ms(first), ms(exited))
}

// hostProc is the test binary running as a host process (hostMain), with
// the pending plugin.
type hostProc struct {
	dir       string
	cmd       *exec.Cmd
	done      chan struct{}       // closed once the host has been waited for
	out       hosttest.SyncBuffer // the host's stdout and stderr
	pluginPid int
	reaped    bool // the plugin has been waited for
}

// startHost starts a host process with the given executor and returns once
// its plugin has holdCalls calls in flight. At cleanup, it kills and reaps
// whatever of the host and the plugin is left.
func startHost(t *testing.T, executor string) *hostProc {
	t.Helper()
	if !subreaper {
		t.Skip("the test process cannot be a child subreaper: it could not wait for the orphaned plugin")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &hostProc{dir: t.TempDir(), done: make(chan struct{})}
	h.cmd = exec.Command(exe)
	h.cmd.Env = append(os.Environ(), roleEnv+"=host", dirEnv+"="+h.dir, executorEnv+"="+executor, noRaceSleep)
	h.cmd.Stdout = &h.out
	h.cmd.Stderr = &h.out
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	h.cmd.WaitDelay = 2 * time.Second
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		h.cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() { h.cleanup(t) })

	ready := filepath.Join(h.dir, "ready")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case <-h.done:
			t.Fatalf("the host process ended before its plugin's calls were in flight: %v", h.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("watchdog: the plugin's calls not in flight within 60s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(h.dir, "plugin.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if h.pluginPid, err = strconv.Atoi(string(b)); err != nil {
		t.Fatalf("plugin.pid holds %q: %v", b, err)
	}
	return h
}

// kill kills the host with SIGKILL, waits for it and returns when it was
// killed.
func (h *hostProc) kill(t *testing.T) time.Time {
	t.Helper()
	at := time.Now()
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("killing the host: %v", err)
	}
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("watchdog: the killed host not waited for within 10s")
	}
	return at
}

// reapPlugin waits for the plugin, orphaned by the host's death and adopted
// by the test process, to end, and returns its wait status.
func (h *hostProc) reapPlugin(t *testing.T, timeout time.Duration) syscall.WaitStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(h.pluginPid, &ws, syscall.WNOHANG, nil)
		switch {
		case err != nil:
			t.Fatalf("waiting for the plugin (pid %d), which the test process should have adopted: %v", h.pluginPid, err)
		case pid == h.pluginPid:
			h.reaped = true
			return ws
		case time.Now().After(deadline):
			t.Fatalf("watchdog: the plugin (pid %d) still running %v after the host was killed", h.pluginPid, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// cleanup kills and reaps what is left of the host and its plugin, by pid.
func (h *hostProc) cleanup(t *testing.T) {
	h.cmd.Process.Kill() // no-op once waited for
	<-h.done
	if h.pluginPid != 0 && !h.reaped {
		syscall.Kill(h.pluginPid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if pid, err := syscall.Wait4(h.pluginPid, &ws, syscall.WNOHANG, nil); pid == h.pluginPid || errors.Is(err, syscall.ECHILD) {
				break
			}
		}
	}
	if t.Failed() {
		t.Logf("host process output:\n%s", h.out.String())
		if b, err := os.ReadFile(filepath.Join(h.dir, "plugin.output")); err == nil {
			t.Logf("plugin output:\n%s", b)
		}
	}
}
