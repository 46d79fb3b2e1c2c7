// Package adder_test builds and runs the README's host and plugins.
package adder_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReadmeHostAndPlugin runs the host with each plugin of the README: with
// pflag, and with the standard flag package.
func TestReadmeHostAndPlugin(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the example needs the go command, which is not on PATH")
	}
	dir := t.TempDir()
	hostBin := filepath.Join(dir, "host")
	build(t, gobin, "./host", hostBin)
	for _, plugin := range []string{"plugin", "plugin-stdflag"} {
		t.Run(plugin, func(t *testing.T) {
			plugins := filepath.Join(dir, plugin)
			if err := os.Mkdir(plugins, 0o755); err != nil {
				t.Fatal(err)
			}
			build(t, gobin, "./"+plugin, filepath.Join(plugins, "adder"))
			out, err := exec.Command(hostBin, plugins).CombinedOutput()
			if err != nil {
				t.Fatalf("host: %v\n%s", err, out)
			}
			if string(out) != "3 <nil>\n" {
				t.Errorf("host and %s printed %q, want \"3 <nil>\\n\"", plugin, out)
			}
		})
	}
}

// TestPluginNotHosted runs each plugin as a user would, without a host: it
// runs, and its call fails with service.ErrNotHosted's message.
func TestPluginNotHosted(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the example needs the go command, which is not on PATH")
	}
	dir := t.TempDir()
	for _, plugin := range []string{"plugin", "plugin-stdflag"} {
		bin := filepath.Join(dir, plugin)
		build(t, gobin, "./"+plugin, bin)
		out, err := exec.Command(bin, "add").CombinedOutput()
		if err != nil {
			t.Fatalf("%s add: %v\n%s", plugin, err, out)
		}
		if want := "0 service calc.add: not hosted: the plugin was started without --host-file\n"; string(out) != want {
			t.Errorf("%s add printed %q, want %q", plugin, out, want)
		}
	}
}

func build(t *testing.T, gobin, pkg, out string) {
	t.Helper()
	if b, err := exec.Command(gobin, "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}
