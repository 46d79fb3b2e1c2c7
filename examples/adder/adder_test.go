// Package adder_test builds and runs the README's host and plugin.
package adder_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestReadmeHostAndPlugin(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the example needs the go command, which is not on PATH")
	}
	dir := t.TempDir()
	plugins := filepath.Join(dir, "plugins")
	if err := os.Mkdir(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct{ pkg, out string }{
		{"./host", filepath.Join(dir, "host")},
		{"./plugin", filepath.Join(plugins, "adder")},
	} {
		if out, err := exec.Command(gobin, "build", "-o", b.out, b.pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "host"), plugins).CombinedOutput()
	if err != nil {
		t.Fatalf("host: %v\n%s", err, out)
	}
	if string(out) != "3 <nil>\n" {
		t.Errorf("host and plugin printed %q, want \"3 <nil>\\n\"", out)
	}
}
