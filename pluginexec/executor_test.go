package pluginexec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// onReady is a stdout writer that calls f once the plugin says "ready".
type onReady struct {
	once sync.Once
	buf  bytes.Buffer
	f    func()
}

func (w *onReady) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "ready") {
		w.once.Do(w.f)
	}
	return len(p), nil
}

func TestCancelStopsPlugin(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "staying", "stay:polite,stubborn:stubborn")
	for _, tc := range []struct {
		typ    string
		grace  time.Duration
		signal syscall.Signal
	}{
		{"polite", DefaultGracePeriod, syscall.SIGTERM},
		{"stubborn", 200 * time.Millisecond, syscall.SIGKILL}, // killed after the grace period
		{"polite", 0, syscall.SIGKILL},                        // no grace period: killed at once
	} {
		ctx, cancel := context.WithCancel(testContext(t))
		err := Exec(ctx, IterateTyped(p, tc.typ), nil, WithGracePeriod(tc.grace),
			WithStdout(&onReady{f: cancel}), WithStderr(io.Discard))
		cancel()
		var ee *ExitError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &ee) {
			t.Fatalf("%s: got %v", tc.typ, err)
		}
		if ee.Signal != tc.signal || ee.ExitCode != -1 {
			t.Errorf("%s, grace %v: signal %v exit code %d, want %v", tc.typ, tc.grace, ee.Signal, ee.ExitCode, tc.signal)
		}
	}
}

func TestTimeoutStopsPlugin(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "stubborn", "stubborn:t")
	ctx, cancel := context.WithTimeout(testContext(t), hangTimeout)
	defer cancel()
	err := Exec(ctx, p, nil, WithGracePeriod(100*time.Millisecond), WithStdout(io.Discard))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v", err)
	}
}

func TestDefaultExecutorDoneContext(t *testing.T) {
	noLeftovers(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := DefaultExecutor(ctx, &Process{Path: "/bin/sh", Args: []string{"-c", "exit 0"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}

func TestDefaultExecutorSuccess(t *testing.T) {
	noLeftovers(t)
	var out bytes.Buffer
	err := DefaultExecutor(context.Background(), &Process{Path: "/bin/sh", Args: []string{"-c", "echo hi"}, Stdout: &out})
	if err != nil || out.String() != "hi\n" {
		t.Errorf("got %q, %v", out.String(), err)
	}
}

// TestCustomExecutor wraps every plugin in a shell that sets a variable,
// the way a sandboxing executor wraps it in unshare or a container runtime.
func TestCustomExecutor(t *testing.T) {
	noLeftovers(t)
	wrap := func(ctx context.Context, p *Process) error {
		q := *p
		q.Path = "/bin/sh"
		q.Args = append([]string{"-c", `PLUGINEXEC_WRAPPED=yes exec "$0" "$@"`, p.Path}, p.Args...)
		return DefaultExecutor(ctx, &q)
	}
	p := newHelper(t, "wrapped", "env:t")
	var out bytes.Buffer
	if err := Exec(testContext(t), p, []string{"PLUGINEXEC_WRAPPED"}, WithExecutor(wrap), WithStdout(&out)); err != nil {
		t.Fatal(err)
	}
	if out.String() != "yes\n" {
		t.Errorf("plugin saw %q", out.String())
	}
}
