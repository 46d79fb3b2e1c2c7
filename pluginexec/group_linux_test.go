package pluginexec

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// grandchildPID reads the "grandchild PID" line of the spawn command and
// makes sure, should the test fail, that the grandchild does not outlive
// it.
func grandchildPID(t *testing.T, out string) int {
	t.Helper()
	_, rest, ok := strings.Cut(out, "grandchild ")
	if !ok {
		t.Fatalf("no grandchild line in the plugin's stdout %q", out)
	}
	pid, err := strconv.Atoi(strings.Fields(rest)[0])
	if err != nil {
		t.Fatalf("grandchild line in %q: %v", out, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // if it is still there
	return pid
}

// waitGone waits until pid is gone or a zombie, failing t after a
// watchdog of seconds.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: grandchild %d still running 10s after the run returned", what, pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPluginExitEndsItsGroup runs plugins that exit 0 while a grandchild
// they started holds their stderr: the run must report the plugin's own
// exit (nil), and the grandchild must be ended, with SIGTERM or, when it
// ignores that, with SIGKILL after the grace period.
func TestPluginExitEndsItsGroup(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "spawner", "spawn stay:polite,spawn stubborn:stubborn")
	for _, tc := range []struct {
		typ   string
		grace time.Duration
	}{
		{"polite", DefaultGracePeriod},
		{"stubborn", 200 * time.Millisecond},
		{"polite", 0}, // no grace period: killed at once
	} {
		var out bytes.Buffer
		err := Exec(testContext(t), IterateTyped(p, tc.typ), nil, WithGracePeriod(tc.grace),
			WithStdout(&out), WithStderr(testWriter{t}))
		pid := grandchildPID(t, out.String())
		if err != nil {
			t.Errorf("%s, grace %v: run error %v, want nil (the plugin exited 0)", tc.typ, tc.grace, err)
		}
		waitGone(t, pid, tc.typ)
	}
}

// TestCancelEndsTheGroup cancels a plugin that started a grandchild: both
// get SIGTERM, and the run reports the plugin's own end.
func TestCancelEndsTheGroup(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "spawner", "spawn stay stay:t")
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	ready := &onReady{f: cancel}
	err := Exec(ctx, p, nil, WithStdout(ready), WithStderr(testWriter{t}))
	pid := grandchildPID(t, ready.buf.String())
	var ee *ExitError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ee) || ee.Signal != syscall.SIGTERM {
		t.Errorf("got %v, want the plugin's SIGTERM and context.Canceled", err)
	}
	waitGone(t, pid, "canceled")
}

// TestEscapedDescendant runs a plugin whose child leaves its process group
// (setsid) holding stderr: the group cannot end it, so the run waits for
// its output at most the drain delay, then reports the plugin's own exit.
func TestEscapedDescendant(t *testing.T) {
	noLeftovers(t)
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid(1) is not installed")
	}
	var out bytes.Buffer
	err := DefaultExecutor(testContext(t), &Process{
		Path: "/bin/sh",
		Args: []string{"-c", `setsid sleep 30 &
			# wait until the grandchild leads its own group: field 5 of stat
			while [ "$(cut -d' ' -f5 /proc/$!/stat)" != $! ]; do :; done
			echo "grandchild $!"`},
		Stdout: &out,
		Stderr: testWriter{t},
	})
	pid := grandchildPID(t, out.String())
	if err != nil {
		t.Errorf("run error %v, want nil (the plugin exited 0)", err)
	}
	if !alive(pid) {
		t.Errorf("the escaped grandchild %d is gone: the test does not show what it means to", pid)
	}
}
