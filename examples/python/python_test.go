// Package python_test runs the Python plugin example against a real host:
// the host of examples/python/host, built here, runs plugin.py's demo
// through pluginexec and host.Bind, and starts its serve command with
// host.Start and calls it, on each transport.
package python_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wantDemo is what plugin.py prints when the host runs its demo command,
// then what the host prints of its calls to the functions plugin.py serves.
const wantDemo = `add 3
service add 30
pair [7, "seven"]
protocol 2 ['blobs', 'callbacks', 'cancel', 'codes', 'streams', 'timeout']
echo small True
echo big True
has calc True has nope False
manifest {"description": "arithmetic"} null
services add cancels echo fail pair panic sleep
fail service_error boom
panic ServicePanicError panic
unknown service UnknownServiceError unknown_service
unknown namespace UnknownNamespaceError unknown_namespace
bad arguments BadArgumentsError bad_arguments
manifest of nope UnknownNamespaceError unknown_namespace
sleep slept
timeout DeadlineExceededError deadline_exceeded
cancel CanceledError canceled
canceled in the host 2
concurrent True 50
after close ConnectionClosedError None
served hello: hello, gopher <nil>
served total: 10 <nil>
served shout: 1200 ABCABC <nil>
served each: [* ** ***] <nil>
served rude: true service greet.rude: not talking to gopher
served wait: true
served services: [each hello rude shout total wait] <nil>
stopped: <nil>
`

// TestPythonPlugin runs plugin.py through the host on each transport.
func TestPythonPlugin(t *testing.T) {
	python3(t)
	hostBin := buildHost(t)
	for _, transport := range []string{"procfs", "inherited", "named"} {
		t.Run(transport, func(t *testing.T) {
			out, err := run(t, hostBin, "--transport", transport, "./plugin.py")
			if err != nil {
				t.Fatalf("host --transport %s plugin.py: %v\n%s", transport, err, out)
			}
			if out != wantDemo {
				t.Errorf("host --transport %s plugin.py printed\n%s\nwant\n%s", transport, out, wantDemo)
			}
		})
	}
}

// TestPythonPluginInfo runs `plugin.py info`: one JSON object, the manifest,
// with manifestVersion 1.
func TestPythonPluginInfo(t *testing.T) {
	python3(t)
	out, err := run(t, "./plugin.py", "info")
	if err != nil {
		t.Fatalf("plugin.py info: %v\n%s", err, out)
	}
	var m struct {
		ManifestVersion int    `json:"manifestVersion"`
		Name            string `json:"name"`
		Commands        []struct {
			Path []string `json:"path"`
		} `json:"commands"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("plugin.py info printed %q: %v", out, err)
	}
	if m.ManifestVersion != 1 || m.Name != "pyplugin" || len(m.Commands) != 2 || strings.Join(m.Commands[0].Path, " ") != "demo" ||
		strings.Join(m.Commands[1].Path, " ") != "serve" {
		t.Errorf("plugin.py info printed %s", out)
	}
}

// TestPythonPluginNotHosted runs plugin.py without a host: it runs, and its
// call fails with NotHostedError.
func TestPythonPluginNotHosted(t *testing.T) {
	python3(t)
	out, err := run(t, "./plugin.py", "demo")
	if err != nil {
		t.Fatalf("plugin.py demo: %v\n%s", err, out)
	}
	if want := "NotHostedError None\n"; out != want {
		t.Errorf("plugin.py demo printed %q, want %q", out, want)
	}
}

// python3 returns the path of python3, skipping the test when there is none.
func python3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("the Python plugin needs python3, which is not on PATH (.ci/run installs it)")
	}
	return p
}

func buildHost(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the example host needs the go command, which is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "host")
	if out, err := exec.Command(gobin, "build", "-o", bin, "./host").CombinedOutput(); err != nil {
		t.Fatalf("go build ./host: %v\n%s", err, out)
	}
	return bin
}

// run runs a command with the hostcall package on PYTHONPATH (and no
// bytecode written into the clone), under a watchdog, and returns its
// stdout; stderr is in the error.
func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	pkg, err := filepath.Abs("../../python")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pkg, "PYTHONDONTWRITEBYTECODE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &runError{err, stderr.String()}
	}
	return string(out), nil
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": stderr: " + e.stderr }
