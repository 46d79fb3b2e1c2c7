package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// pluginPackages are the plugins built when --plugins is not given.
const pluginPackages = "github.com/hostcall/hostcall/examples/scanner/plugins/..."

// buildPlugins builds the plugin binaries into dir with the go command, as
// `go run` implies one is at hand. It builds from the directory of this
// source file when it is still there (go run, go test), and otherwise from
// the working directory, which must then be inside a module that has the
// plugins.
func buildPlugins(ctx context.Context, dir string) error {
	goTool, err := findGo()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", dir+string(filepath.Separator), pluginPackages)
	cmd.Dir = sourceDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building the plugins (%s in %s): %w\n%s",
			strings.Join(cmd.Args, " "), displayDir(cmd.Dir), err, out)
	}
	return nil
}

// findGo returns the go command: the one on PATH, else the one of GOROOT.
func findGo() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("building the plugins needs the go command, and there is none on PATH: " +
		"install Go, or pass --plugins with a directory of plugin binaries")
}

// sourceDir returns the directory of this file if it still exists, or ""
// (the working directory).
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "plugins")); err != nil {
		return ""
	}
	return dir
}

func displayDir(dir string) string {
	if dir == "" {
		return "the working directory"
	}
	return dir
}
