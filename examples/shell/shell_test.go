// Package shell_test runs the shell plugin example against real hosts: a
// Go host (pluginexec and host.Bind) and `hostcall run`, with the hostcall
// CLI built into a temporary directory on PATH.
package shell_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

const wantAdd = "sum: 3\nfail: hostcall call: calc.fail: service_error: boom\n"

// buildCLI builds cmd/hostcall into a temporary directory and puts it first
// on PATH for the test (the plugin runs hostcall by name).
func buildCLI(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the hostcall CLI needs the go command, which is not on PATH")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the shell plugin needs sh, which is not on PATH")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hostcall")
	if out, err := exec.Command(gobin, "build", "-o", bin, "../../cmd/hostcall").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/hostcall: %v\n%s", err, out)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("HOSTCALL_HOST_FILES", "")
	return bin
}

// TestShellPluginGoHost runs plugin.sh from a Go host, on the transport a
// shell plugin can use (one hostcall call process per call): inherited
// descriptors, which every child of the script holds. Anonymous pipes
// through procfs can be opened only once (the host lets go of its copies).
func TestShellPluginGoHost(t *testing.T) {
	buildCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plug, err := pluginexec.NewPlugin(ctx, "./plugin.sh")
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New()
	reg.Define("calc", nil)
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	reg.AddService("calc", "fail", func() error { return errors.New("boom") })
	for name, opt := range map[string]host.BindOption{"inherited": host.WithInheritedPipes()} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := pluginexec.Exec(ctx, plug, []string{"1", "2"}, host.Bind(reg, opt),
				pluginexec.WithStdout(&stdout), pluginexec.WithStderr(&stderr))
			if err != nil {
				t.Fatalf("plugin.sh add 1 2: %v\nstderr: %s", err, stderr.String())
			}
			if stdout.String() != wantAdd {
				t.Errorf("plugin.sh add 1 2 printed %q, want %q", stdout.String(), wantAdd)
			}
		})
	}
}

// TestShellPluginHostcallRun runs plugin.sh through `hostcall run` with the
// example's canned registry, and `hostcall info` on it.
func TestShellPluginHostcallRun(t *testing.T) {
	bin := buildCLI(t)
	out, status := run(t, bin, "run", "--registry", "registry.json", "./plugin.sh", "add", "1", "2")
	if out != wantAdd || status != 0 {
		t.Errorf("hostcall run ./plugin.sh add 1 2: status %d, output %q; want 0, %q", status, out, wantAdd)
	}
	out, status = run(t, bin, "info", "./plugin.sh")
	if status != 0 || !strings.Contains(out, `"name": "shplugin"`) || !strings.Contains(out, "\n  \"commands\": [") {
		t.Errorf("hostcall info ./plugin.sh: status %d, output %q; want the indented manifest", status, out)
	}
	// Without calc.add the script's first call fails, and set -e makes it
	// exit 1: hostcall run exits with the plugin's status.
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{"calc":{"services":{}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, status = run(t, bin, "run", "--registry", empty, "./plugin.sh", "add")
	if status != 1 || !strings.Contains(out, "unknown_service") {
		t.Errorf("hostcall run with no calc.add: status %d, output %q; want 1 and unknown_service", status, out)
	}
	out, status = run(t, bin, "run", "./plugin.sh", "sub")
	if status != 2 || !strings.Contains(out, `has no command "sub" (it has: add)`) {
		t.Errorf("hostcall run ./plugin.sh sub: status %d, output %q; want 2 naming the commands", status, out)
	}
	out, status = run(t, bin, "info", "./registry.json")
	if status != 1 || !strings.Contains(out, "registry.json") {
		t.Errorf("hostcall info ./registry.json: status %d, output %q; want 1 naming the file", status, out)
	}
}

// run runs the CLI under a watchdog and returns its combined output and
// exit status.
func run(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("hostcall %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("hostcall %q did not end within a minute", args)
	}
	if ee != nil {
		return string(out), ee.ExitCode()
	}
	return string(out), 0
}
