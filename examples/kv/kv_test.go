// Package kv_test builds the kv host and plugin and runs them as real
// processes: from the command line, as a user would, and with the test as
// the host.
package kv_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/examples/kv/kvapi"
	"github.com/hostcall/hostcall/hostcalltest"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The host and the plugin are built once, into a directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binaries returns the paths of the built host and plugin.
func binaries(t *testing.T) (hostBin, pluginBin string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the example needs the go command, which is not on PATH")
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "kv-example-"); built.err != nil {
			return
		}
		out, err := exec.Command(gobin, "build", "-o", built.dir+string(filepath.Separator), "./host", "./plugin").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build ./host ./plugin: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, "host"), filepath.Join(built.dir, "plugin")
}

// TestCommandLine runs `host put` and `host get` as go-plugin's README runs
// its example, each run starting the plugin, calling it and stopping it.
func TestCommandLine(t *testing.T) {
	hostBin, pluginBin := binaries(t)
	dir := t.TempDir()
	steps := []struct {
		args   string
		stdout string
		fails  string // in stderr, and the host exits 1; "" for a success
	}{
		{args: "put a 1"},
		{args: "put a 2"}, // the host adds: 1 + 2
		{args: "get a", stdout: "3\n"},
		{args: "put b -5"},
		{args: "get b", stdout: "-5\n"},
		// Only the message crosses the command line; TestTheTestIsTheHost
		// checks the error the host gets.
		{args: "get nope", fails: kvapi.ErrNotFound.Error()},
		{args: "put max 9223372036854775807"},
		{args: "put max 1", fails: "service kv.put: service helper.sum: kv host: 9223372036854775807 + 1 overflows int64"},
		{args: "get max", stdout: "9223372036854775807\n"}, // unchanged by the refused put
		{args: "put a/b 1", fails: `bad key "a/b"`},
		{args: "put a x", fails: `put a: strconv.ParseInt: parsing "x": invalid syntax`},
		{args: "get", fails: "usage: "},
	}
	for _, step := range steps {
		stdout, stderr, err := runHost(t, hostBin, []string{"KV_PLUGIN=" + pluginBin, "KV_DIR=" + dir}, strings.Fields(step.args)...)
		switch {
		case step.fails == "" && err != nil:
			t.Errorf("host %s: %v\nstderr:\n%s", step.args, err, stderr)
		case step.fails != "" && (err == nil || !strings.Contains(stderr, step.fails)):
			t.Errorf("host %s: %v, stderr %q; want exit status 1 and %q", step.args, err, stderr, step.fails)
		case stdout != step.stdout:
			t.Errorf("host %s printed %q, want %q", step.args, stdout, step.stdout)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "kv_a")); err != nil || string(b) != "3\n" {
		t.Errorf("the plugin's file kv_a holds %q (%v), want \"3\\n\"", b, err)
	}
}

// TestCommandLineWithoutPlugin runs the host without KV_PLUGIN.
func TestCommandLineWithoutPlugin(t *testing.T) {
	hostBin, _ := binaries(t)
	_, stderr, err := runHost(t, hostBin, []string{"KV_PLUGIN=", "KV_DIR=" + t.TempDir()}, "get", "a")
	if err == nil || !strings.Contains(stderr, "KV_PLUGIN is not set") {
		t.Errorf("host get a without KV_PLUGIN: %v, stderr %q", err, stderr)
	}
}

// runHost runs the host with env added to the test's environment, under a
// watchdog.
func runHost(t *testing.T, hostBin string, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hostBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// TestTheTestIsTheHost starts the plugin as host.Start does, with the test as
// the host: concurrent puts, each of which calls the test's sum, and the
// missing key's error.
func TestTheTestIsTheHost(t *testing.T) {
	_, pluginBin := binaries(t)
	hostcalltest.CheckLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a watchdog
	defer cancel()
	var sums atomic.Int64
	reg := registry.New()
	reg.AddService(kvapi.HelperNamespace, "sum", func(a, b int64) int64 {
		sums.Add(1)
		return a + b
	})
	var stderr hosttest.SyncBuffer
	p := hostcalltest.StartPlugin(t, pluginBin, reg, hostcalltest.WithCommand("serve"),
		hostcalltest.WithExecOptions(pluginexec.WithEnv("KV_DIR="+t.TempDir()), pluginexec.WithStderr(&stderr)))
	var put kvapi.Put
	var get kvapi.Get
	if err := errors.Join(p.GetService(kvapi.Namespace, "put", &put), p.GetService(kvapi.Namespace, "get", &get)); err != nil {
		t.Fatal(err)
	}

	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := put(ctx, "hits", 1); err != nil {
				t.Errorf("put hits 1: %v", err)
			}
		}()
	}
	wg.Wait()
	if v, err := get(ctx, "hits"); v != n || err != nil {
		t.Errorf("get hits = %d, %v after %d concurrent puts of 1; want %d", v, err, n, n)
	}
	if got := sums.Load(); got != n {
		t.Errorf("the plugin called the host's sum %d times, want %d (once per put)", got, n)
	}

	_, err := get(ctx, "nope")
	// Registered in kvapi: the plugin's error keeps its identity.
	if !errors.Is(err, kvapi.ErrNotFound) || !strings.Contains(err.Error(), kvapi.ErrNotFound.Error()) || !errors.Is(err, service.ErrServiceError) {
		t.Errorf("get nope: %v; want a service error matching kvapi.ErrNotFound", err)
	}

	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v, want nil: the plugin returns from Serve and exits 0", err)
	}
	if s := stderr.String(); s != "" {
		t.Errorf("the plugin wrote on stderr:\n%s", s)
	}
}
