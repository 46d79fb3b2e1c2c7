package pluginexec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExecArgv(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "argv", "scan dir:scanner,argv:echo")
	var out bytes.Buffer
	err := Exec(testContext(t), IterateTyped(p, "scanner"), []string{"a", "b c"},
		WithPrependArgs("--host-file", "fd://3"), WithStdout(&out))
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	if err := json.Unmarshal(out.Bytes(), &argv); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	want := []string{"scan", "dir", "--host-file", "fd://3", "a", "b c"}
	if diff := cmp.Diff(want, argv); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
}

func TestExecExitStatusAndTail(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "failing", "exit:fail")
	var stderr bytes.Buffer
	err := Exec(testContext(t), p, nil, WithEnv(envExit+"=3", envLines+"=30"), WithStderr(&stderr))
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("got %v", err)
	}
	var lines []string
	for i := 11; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	want := &ExitError{Path: p.Path(), Command: []string{"exit"}, ExitCode: 3, StderrTail: strings.Join(lines, "\n")}
	if diff := cmp.Diff(want, ee, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Err" }, cmp.Ignore())); diff != "" {
		t.Errorf("ExitError (-want +got):\n%s", diff)
	}
	prefix := fmt.Sprintf("pluginexec: %s [exit]: exit status 3: stderr tail: line 11\n", p.Path())
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("message %q does not start with %q", err, prefix)
	}
	if !strings.HasPrefix(stderr.String(), "line 1\nline 2\n") || !strings.HasSuffix(stderr.String(), "line 30\n") {
		t.Errorf("redirected stderr %q", stderr.String())
	}
}

func TestExecReportsEveryFailure(t *testing.T) {
	noLeftovers(t)
	plugins := []*Plugin{newHelper(t, "ok", "argv:t"), newHelper(t, "four", "exit:t"), newHelper(t, "five", "exit:t")}
	codes := map[string]string{"ok": "0", "four": "4", "five": "5"}
	err := Exec(testContext(t), plugins, nil, WithExecParallelism(3), WithStdout(io.Discard),
		WithStderr(io.Discard), WithExecGenerator(func(p *Plugin, _ *Command) ExecOption {
			return WithEnv(envExit + "=" + codes[p.Name])
		}))
	var got []int
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range u.Unwrap() {
			var ee *ExitError
			if errors.As(e, &ee) {
				got = append(got, ee.ExitCode)
			}
		}
	}
	if diff := cmp.Diff([]int{4, 5}, got); diff != "" {
		t.Errorf("exit codes (-want +got):\n%s\nerror: %v", diff, err)
	}
}

// gate holds plugins in their stdin until as many runs as the bound are in
// flight (or every run has started), and measures the most at once.
type gate struct {
	mu               sync.Mutex
	bound, total     int
	started, running int
	most             int
	held             []*io.PipeWriter
}

// execute runs p with a held stdin, counting it as running meanwhile.
func (g *gate) execute(ctx context.Context, p *Process) error {
	r, w := io.Pipe()
	q := *p
	q.Stdin = r
	g.enter(w)
	defer g.leave()
	return DefaultExecutor(ctx, &q)
}

func (g *gate) enter(w *io.PipeWriter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.started++
	g.running++
	g.most = max(g.most, g.running)
	g.held = append(g.held, w)
	if g.running >= g.bound || g.started == g.total {
		g.releaseLocked()
	}
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
}

func (g *gate) releaseLocked() {
	for _, w := range g.held {
		w.Close()
	}
	g.held = nil
}

func TestExecParallelismBound(t *testing.T) {
	noLeftovers(t)
	spec := "stdin 1:gate,stdin 2:gate,stdin 3:gate,stdin 4:gate,stdin 5:gate,stdin 6:gate,stdin 7:gate,argv:other"
	p := newHelper(t, "gated", spec)
	g := &gate{bound: 3, total: 7}
	t.Cleanup(func() { g.mu.Lock(); g.releaseLocked(); g.mu.Unlock() })
	err := Exec(testContext(t), IterateTyped(p, "gate"), nil, WithExecParallelism(3), WithExecutor(g.execute))
	if err != nil {
		t.Fatal(err)
	}
	if g.started != 7 || g.most != 3 {
		t.Errorf("%d runs, at most %d at once; want 7, 3", g.started, g.most)
	}
}

func TestExecEnv(t *testing.T) {
	noLeftovers(t)
	t.Setenv("PLUGINEXEC_HOSTVAR", "from host")
	p := newHelper(t, "env", "env:t")
	for _, tc := range []struct {
		name string
		opts []ExecOption
		want string
	}{
		{"PLUGINEXEC_HOSTVAR", nil, "from host"},
		{"PLUGINEXEC_X", []ExecOption{WithEnv("PLUGINEXEC_X=1"), WithEnv("PLUGINEXEC_X=2")}, "2"},
		{"PLUGINEXEC_HOSTVAR", []ExecOption{WithEnv("PLUGINEXEC_HOSTVAR=over")}, "over"},
	} {
		var out bytes.Buffer
		opts := append(tc.opts, WithStdout(&out))
		if err := Exec(testContext(t), p, []string{tc.name}, opts...); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestExecStderrPrefixedByDefault(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "talker", "stderr:t")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	saved := os.Stderr
	os.Stderr = w
	err = Exec(testContext(t), p, nil)
	os.Stderr = saved
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if want := "[talker] hello\n[talker] world\n"; string(got) != want {
		t.Errorf("host stderr got %q, want %q", got, want)
	}
}
