package pluginexec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// noExitSleep keeps the race detector of a helper from sleeping a second
// when it exits 0.
const noExitSleep = "atexit_sleep_ms=0"

// watchdog bounds every test's runs, for liveness only.
const watchdog = 30 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	t.Cleanup(cancel)
	return ctx
}

// noLeftovers fails t if, when it ends, a child of the test process (even
// a zombie) is still there, or a goroutine of this package or of os/exec.
func noLeftovers(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if kids := leftoverChildren(); len(kids) > 0 {
			t.Errorf("processes left behind: %v", kids)
		}
		if g := leftoverGoroutines(); g != "" {
			t.Errorf("goroutines left behind:\n%s", g)
		}
	})
}

// leftoverGoroutines returns the stacks of the goroutines, other than the
// test runner's, that run code of this package or of os/exec. Goroutines
// that have done their work may take a moment to end: it waits a little
// for them.
func leftoverGoroutines() string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		var found []string
		buf := make([]byte, 1<<20)
		stacks := strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n")
		for _, s := range stacks {
			if strings.Contains(s, "testing.tRunner") || strings.Contains(s, "testing.(*M).Run") {
				continue
			}
			if strings.Contains(s, "hostcall/pluginexec.") || strings.Contains(s, "os/exec.") {
				found = append(found, s)
			}
		}
		if len(found) == 0 || time.Now().After(deadline) {
			return strings.Join(found, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeScript writes an executable shell script at dir/name that runs the
// test binary as the helper plugin with env ("KEY=value") set.
func writeScript(t *testing.T, dir, name string, env ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env = append([]string{envHelper + "=plugin", `GORACE="$GORACE ` + noExitSleep + `"`}, env...)
	script := fmt.Sprintf("#!/bin/sh\n%s exec '%s' \"$@\"\n", strings.Join(env, " "), exe)
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// newHelper returns the helper plugin named name offering commands (see
// envCommands; "" for the default ones), run through a script.
func newHelper(t *testing.T, name, commands string, env ...string) *Plugin {
	t.Helper()
	env = append([]string{envName + "=" + name, envCommands + "='" + commands + "'"}, env...)
	path := writeScript(t, t.TempDir(), name, env...)
	p, err := NewPlugin(testContext(t), path, WithStderr(testWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testWriter logs what it receives.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("stderr: %s", p)
	return len(p), nil
}
