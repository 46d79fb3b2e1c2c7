package pluginexec

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hangTimeout is the info timeout of tests with a plugin that hangs: long
// enough for a good plugin on a loaded machine.
const hangTimeout = 1500 * time.Millisecond

func TestNewPluginRunsTestBinary(t *testing.T) {
	noLeftovers(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// ExecOptions are DiscoverOptions: the environment applies to info.
	p, err := NewPlugin(testContext(t), exe,
		WithEnv(envHelper+"=plugin", envName+"=direct", envCommands+"=scan dir:scanner",
			"GORACE="+os.Getenv("GORACE")+" "+noExitSleep))
	if err != nil {
		t.Fatal(err)
	}
	want := Manifest{
		ManifestVersion: 1, Name: "direct", Version: "1.0.0", Tags: []string{"test"},
		Commands: []Command{{Path: []string{"scan", "dir"}, Type: "scanner"}},
	}
	if diff := cmp.Diff(want, p.Manifest); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if p.Path() != exe {
		t.Errorf("Path() = %q, want %q", p.Path(), exe)
	}
}

func TestNewPluginRefuses(t *testing.T) {
	noLeftovers(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		mode string
		want []string // substrings of the error
		// exit, when the info run itself failed
		exit   bool
		code   int
		signal syscall.Signal
		ctxErr error
	}{
		{mode: "badjson", want: []string{"bad manifest", "not a JSON object"}},
		{mode: "version", want: []string{"version 99", "version 1"}},
		{mode: "empty", want: []string{"nothing on stdout"}},
		{mode: "trailing", want: []string{"continues after"}},
		{mode: "fail", want: []string{"[info]", "exit status 2", "stderr tail: warming up\ninfo broke"},
			exit: true, code: 2},
		{mode: "hang", want: []string{"[info]", "deadline exceeded", "stderr tail: hanging"},
			exit: true, code: -1, signal: syscall.SIGKILL, ctxErr: context.DeadlineExceeded},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			path := writeScript(t, dir, tc.mode, envInfo+"="+tc.mode)
			p, err := NewPlugin(testContext(t), path, WithInfoTimeout(hangTimeout),
				WithGracePeriod(100*time.Millisecond), WithStderr(testWriter{t}))
			if err == nil {
				t.Fatalf("accepted %+v", p)
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			checkInfoError(t, err, tc.exit, tc.code, tc.signal, tc.ctxErr)
		})
	}
}

// checkInfoError checks the type and fields of an error of NewPlugin.
func checkInfoError(t *testing.T, err error, exit bool, code int, sig syscall.Signal, ctxErr error) {
	t.Helper()
	var ee *ExitError
	var me *ManifestError
	switch {
	case !exit && !errors.As(err, &me):
		t.Errorf("%v is not a *ManifestError", err)
	case exit && !errors.As(err, &ee):
		t.Errorf("%v is not an *ExitError", err)
	case exit && (ee.ExitCode != code || ee.Signal != sig):
		t.Errorf("exit code %d signal %v, want %d %v", ee.ExitCode, ee.Signal, code, sig)
	case ctxErr != nil && !errors.Is(err, ctxErr):
		t.Errorf("%v does not wrap %v", err, ctxErr)
	}
}

func TestNewPluginMissing(t *testing.T) {
	noLeftovers(t)
	path := t.TempDir() + "/nothing"
	_, err := NewPlugin(testContext(t), path)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode != -1 || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v does not wrap ErrNotExist", err)
	}
}

func TestNewPluginBadGlob(t *testing.T) {
	if _, err := NewPlugin(context.Background(), "x", WithGlob("[")); err == nil {
		t.Error("bad glob accepted")
	}
}

func TestManifestSizeBound(t *testing.T) {
	b := &limitedBuffer{limit: 4}
	if n, err := b.Write([]byte("abcdef")); n != 6 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if string(b.buf) != "abcd" || b.dropped != 2 {
		t.Errorf("kept %q, dropped %d", b.buf, b.dropped)
	}
	if _, err := manifestOf(b); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("got %v", err)
	}
}
