package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
)

// bin is the hostcall binary built for the tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hostcall-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "hostcall")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a run of the binary did.
type result struct {
	stdout, stderr string
	status         int
}

// runBin runs the hostcall binary with args under a watchdog.
func runBin(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("hostcall %q: %v", args, err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

func TestVersionAndUsage(t *testing.T) {
	r := runBin(t, nil, "--version")
	if r.status != 0 || !strings.HasPrefix(r.stdout, "hostcall ") || !strings.Contains(r.stdout, "protocol 2") {
		t.Errorf("hostcall --version: %+v", r)
	}
	for _, args := range [][]string{nil, {"frobnicate"}, {"call", "calc"}, {"info"}, {"run"}, {"call", "--bogus", "a", "b"}} {
		if r := runBin(t, nil, args...); r.status != exitUsage || !strings.Contains(r.stderr, "usage") && !strings.Contains(r.stderr, "unknown") {
			t.Errorf("hostcall %q: status %d, stderr %q; want 2 and a usage message", args, r.status, r.stderr)
		}
	}
}

func TestJSONArgs(t *testing.T) {
	got := string(jsonArgs([]string{"1", "x", `"y"`, "[1, 2]", `{"k": true}`, "", " ", "1.2.3", "-1", "null"}))
	want := `[1,"x","y",[1,2],{"k":true},""," ","1.2.3",-1,null]`
	if got != want {
		t.Errorf("jsonArgs = %s, want %s", got, want)
	}
}

func TestEnv(t *testing.T) {
	r := runBin(t, nil, "env", "add", "--host-file", "file:///proc/1/fd/3", "--host=fd://4", "it's", "--host-file")
	if want := "HOSTCALL_HOST_FILES='file:///proc/1/fd/3 fd://4'; export HOSTCALL_HOST_FILES\n"; r.stdout != want || r.status != 0 {
		t.Errorf("hostcall env: %+v, want stdout %q", r, want)
	}
	out, err := exec.Command("sh", "-c", `eval "$("$0" env --host "a'b")"; printf %s "$HOSTCALL_HOST_FILES"`, bin).Output()
	if err != nil || string(out) != "a'b" {
		t.Errorf("eval of hostcall env in sh: %q, %v; want \"a'b\"", out, err)
	}
}

// testHost serves reg on two OS pipes of this process, which hostcall
// call opens through procfs, as a shell plugin of a real host does.
type testHost struct {
	urls        []string
	pluginR     *os.File
	pluginW     *os.File
	done        chan error
	hostR, hosW *os.File
}

func startHost(t *testing.T, reg *registry.Registry) *testHost {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the test host's pipes are reached through /proc, which only Linux has")
	}
	pr, hw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	hr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &testHost{pluginR: pr, pluginW: pw, hostR: hr, hosW: hw, done: make(chan error, 1)}
	h.urls = []string{fmt.Sprintf("file:///proc/%d/fd/%d", os.Getpid(), pr.Fd()), fmt.Sprintf("file:///proc/%d/fd/%d", os.Getpid(), pw.Fd())}
	go func() { h.done <- host.Serve(context.Background(), reg, hr, hw) }()
	t.Cleanup(func() {
		pw.Close() // the host reads the end of the plugin's stream
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("host.Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("host.Serve did not return after the plugin's stream ended")
		}
		pr.Close()
		hr.Close()
		hw.Close()
	})
	return h
}

func (h *testHost) flags() []string {
	return []string{"--host-file", h.urls[0], "--host-file=" + h.urls[1]}
}

func calcRegistry(canceled *atomic.Int64) *registry.Registry {
	reg := registry.New()
	reg.Define("calc", map[string]string{"description": "arithmetic"})
	reg.AddServices(registry.Services{"calc": {
		"add":    func(a, b int) int { return a + b },
		"concat": func(a string, b []int) (string, int) { return a, len(b) },
		"fail":   func() error { return errors.New("boom") },
		"sleep": func(ctx context.Context, ms int) (string, error) {
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
				return "slept", nil
			case <-ctx.Done():
				canceled.Add(1)
				return "", ctx.Err()
			}
		},
	}})
	return reg
}

func TestCall(t *testing.T) {
	var canceled atomic.Int64
	h := startHost(t, calcRegistry(&canceled))
	cases := []struct {
		args           []string
		stdout, stderr string
		status         int
	}{
		{[]string{"calc", "add", "1", "2"}, "3\n", "", 0},
		{[]string{"calc", "concat", "hello", "[1,2,3]"}, "\"hello\"\n3\n", "", 0},
		{[]string{"calc", "add", "-1", "-2"}, "-3\n", "", 0},
		{[]string{"calc", "fail"}, "", "hostcall call: calc.fail: service_error: boom\n", 1},
		{[]string{"calc", "mul", "1", "2"}, "", "unknown_service", 1},
		{[]string{"nope", "add"}, "", "unknown_namespace", 1},
		{[]string{"calc", "add", "one", "2"}, "", "bad_arguments", 1},
	}
	// One call at a time on the same pipes, each by its own process.
	for _, c := range cases {
		r := runBin(t, nil, append(append([]string{"call"}, h.flags()...), c.args...)...)
		if r.stdout != c.stdout || !strings.Contains(r.stderr, c.stderr) || r.status != c.status {
			t.Errorf("hostcall call %q: %+v; want stdout %q, stderr with %q, status %d", c.args, r, c.stdout, c.stderr, c.status)
		}
	}
	// The URLs from the environment.
	r := runBin(t, []string{envVar + "=" + strings.Join(h.urls, " ")}, "call", "calc", "add", "40", "2")
	if r.stdout != "42\n" || r.status != 0 {
		t.Errorf("hostcall call with $%s: %+v", envVar, r)
	}
}

// TestCallTimeout: a call that gives up exits 1 with deadline_exceeded, the
// host cancels the service, and its late reply, left in the shared pipe, is
// not taken by the next process's call.
func TestCallTimeout(t *testing.T) {
	var canceled atomic.Int64
	h := startHost(t, calcRegistry(&canceled))
	r := runBin(t, nil, append(append([]string{"call", "--timeout", "200ms"}, h.flags()...), "calc", "sleep", "60000")...)
	if r.status != 1 || !strings.Contains(r.stderr, "deadline_exceeded") {
		t.Errorf("hostcall call --timeout 200ms calc sleep 60000: %+v; want status 1, deadline_exceeded", r)
	}
	deadline := time.Now().Add(30 * time.Second)
	for canceled.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if canceled.Load() != 1 {
		t.Errorf("the host canceled %d sleeps, want 1", canceled.Load())
	}
	r = runBin(t, nil, append(append([]string{"call"}, h.flags()...), "calc", "add", "1", "2")...)
	if r.stdout != "3\n" || r.status != 0 {
		t.Errorf("hostcall call after a timed out call: %+v; want 3", r)
	}
}

func TestCallNotReachable(t *testing.T) {
	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"call", "calc", "add"}, "not hosted"},
		{[]string{envVar + "="}, []string{"call", "calc", "add"}, "not hosted"},
		{nil, []string{"call", "--host-file", "file:///nonexistent/in", "--host-file", "file:///nonexistent/out", "calc", "add"}, "/nonexistent/in"},
		{nil, []string{"call", "--host-file", "bogus://x", "calc", "add"}, "bogus"},
	} {
		env := append([]string{envVar + "="}, c.env...)
		r := runBin(t, env, c.args...)
		if r.status != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("hostcall %q: %+v; want status 2 and %q on stderr", c.args, r, c.want)
		}
	}
}

func TestParseCanned(t *testing.T) {
	reg, err := parseCanned([]byte(`{"calc":{"manifest":{"d":1},"services":{"add":{"reply":[3]},"pair":{"reply":[1,"x"]},"void":{},"fail":{"error":"boom"},"crash":{"panic":"p"}}},"bare":{}}`), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := reg.Manifest("calc"); !ok || string(m) != `{"d":1}` {
		t.Errorf("manifest of calc: %s, %v", m, ok)
	}
	if m, ok := reg.Manifest("bare"); !ok || m != nil {
		t.Errorf("manifest of bare: %s, %v; want none", m, ok)
	}
	for name, want := range map[string]string{"add": "[3]", "pair": `[1,"x"]`, "void": "[]"} {
		s, err := reg.Lookup("calc", name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Invoke(context.Background(), []byte(`[1,"two",[3]]`), nil, nil)
		if err != nil || string(res) != want {
			t.Errorf("calc.%s: %s, %v; want %s", name, res, err, want)
		}
	}
	s, _ := reg.Lookup("calc", "fail")
	if _, err := s.Invoke(context.Background(), nil, nil, nil); err == nil || err.Error() != "boom" {
		t.Errorf("calc.fail: %v, want boom", err)
	}
	s, _ = reg.Lookup("calc", "crash")
	if _, err := s.Invoke(context.Background(), nil, nil, nil); !errors.Is(err, registry.ErrPanic) {
		t.Errorf("calc.crash: %v, want a panic error", err)
	}
	for _, c := range []struct{ file, want string }{
		{`{"calc":{"services":{"add":{"reply":[3],"error":"x"}}}}`, "calc.add: give one of"},
		{`{"calc":{"servics":{}}}`, "unknown field"},
		{`{"calc":{"services":{"add":{"reply":3}}}}`, "r.json"},
		{`[1]`, "r.json"},
		{`{"":{}}`, "empty name"},
	} {
		if _, err := parseCanned([]byte(c.file), "r.json"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseCanned(%s): %v; want an error with %q", c.file, err, c.want)
		}
	}
}
