package hostcalltest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// kvPlugin is the path of testdata/kvplugin, built for the tests.
var kvPlugin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hostcalltest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kvPlugin = filepath.Join(dir, "kvplugin")
	out, err := exec.Command("go", "build", "-o", kvPlugin, "./testdata/kvplugin").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stubT stands in for a test's *testing.T where there is none (in an
// Example) or where the test checks what hostcalltest reports (the leak
// checks): it records failures, and runs the cleanups at end. Only the
// methods hostcalltest calls are implemented.
type stubT struct {
	testing.TB // nil: any other method panics
	cleanups   []func()
	failures   []string
	print      bool // print failures as they come (Examples)
}

func (t *stubT) Helper()             {}
func (t *stubT) Cleanup(f func())    { t.cleanups = append(t.cleanups, f) }
func (t *stubT) Logf(string, ...any) {}

func (t *stubT) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.failures = append(t.failures, msg)
	if t.print {
		fmt.Println("FAIL:", msg)
	}
}

func (t *stubT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	panic("Fatalf: " + fmt.Sprintf(format, args...))
}

// end runs the cleanups, last registered first, as a test's end does.
func (t *stubT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}
