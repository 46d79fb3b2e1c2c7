// Package python_test runs the unit tests of the Python package (python3 -m
// unittest) under go test, so that CI runs them with the Go tests.
package python_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestPythonUnittests runs python/tests: the framer, the frames, the
// transports, and the client against a scripted host on real pipes
// (protocol 2, and the fallback to protocol 1).
func TestPythonUnittests(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("the Python package's tests need python3, which is not on PATH (.ci/run installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest: %v\n%s", err, out)
	}
	t.Logf("python3 -m unittest:\n%s", out)
}
