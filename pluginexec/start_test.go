//go:build unix

package pluginexec

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
)

// hookLog is a start hook that logs what it is told, in order.
type hookLog struct{ events []string }

func (r *hookLog) hook(name string) StartHook {
	return func() func(pid int) {
		r.events = append(r.events, name+" starting")
		return func(pid int) { r.events = append(r.events, name+" started "+strconv.Itoa(pid)) }
	}
}

// TestStartHookGetsThePID: DefaultExecutor tells the hooks of the run the
// pid of the process it started, which is the process's own ($$).
func TestStartHookGetsThePID(t *testing.T) {
	noLeftovers(t)
	var rec hookLog
	var out bytes.Buffer
	p := &Process{Path: "/bin/sh", Args: []string{"-c", "echo $$"}, Stdout: &out,
		Starting: startHook([]StartHook{rec.hook("a"), rec.hook("b")})}
	if err := DefaultExecutor(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(out.String())
	want := []string{"a starting", "b starting", "a started " + pid, "b started " + pid}
	if strings.Join(rec.events, ", ") != strings.Join(want, ", ") {
		t.Errorf("hooks saw %q, want %q", rec.events, want)
	}
}

// TestStartHookOfAFailedStart: a process that cannot start is reported as
// pid 0, so that nobody waits for it.
func TestStartHookOfAFailedStart(t *testing.T) {
	var rec hookLog
	p := &Process{Path: "/nonexistent/plugin", Starting: startHook([]StartHook{rec.hook("a")})}
	if err := DefaultExecutor(context.Background(), p); err == nil {
		t.Fatal("a missing program started")
	}
	if got := strings.Join(rec.events, ", "); got != "a starting, a started 0" {
		t.Errorf("hook saw %q, want a starting, a started 0", got)
	}
}

// TestWithStartHookReachesTheExecutor: hooks given to Exec, and added by
// an interceptor through next, reach a custom executor that delegates to
// DefaultExecutor with a copy of the Process.
func TestWithStartHookReachesTheExecutor(t *testing.T) {
	noLeftovers(t)
	var rec hookLog
	wrap := func(ctx context.Context, p *Process) error {
		q := *p
		return DefaultExecutor(ctx, &q)
	}
	inner := WithExecInterceptor(func(ctx context.Context, _ *Plugin, _ *Command,
		next func(context.Context, ...ExecOption) error) error {
		return next(ctx, WithStartHook(rec.hook("inner")))
	})
	p := newHelper(t, "hooked", "argv:t")
	err := Exec(testContext(t), p, nil, WithExecutor(wrap), WithStartHook(rec.hook("outer")), inner,
		WithStdout(&bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 4 || rec.events[0] != "outer starting" || rec.events[1] != "inner starting" ||
		!strings.HasPrefix(rec.events[2], "outer started ") || rec.events[2][len("outer started "):] == "0" ||
		rec.events[3] != "inner started "+rec.events[2][len("outer started "):] {
		t.Errorf("hooks saw %q, want both, in order, with one pid", rec.events)
	}
}
