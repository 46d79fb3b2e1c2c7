package pluginexec

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
)

// ExitError is the error of a plugin process that did not succeed: it exited
// with a non-zero status, was killed by a signal, was cancelled, or could not
// be started. Err is the executor's error; when the run was cancelled it
// wraps the context's error, so errors.Is(err, context.Canceled) works.
type ExitError struct {
	Path       string         // the plugin's path
	Command    []string       // the command's path words; ["info"] for discovery
	ExitCode   int            // the exit status, or -1 if the process did not exit normally
	Signal     syscall.Signal // the signal that killed the process, or 0
	StderrTail string         // the last lines of the process's stderr
	Err        error          // the underlying error
}

func newExitError(path string, command []string, tail string, err error) *ExitError {
	code, sig := exitStatus(err)
	return &ExitError{
		Path:       path,
		Command:    slices.Clone(command),
		ExitCode:   code,
		Signal:     sig,
		StderrTail: tail,
		Err:        err,
	}
}

func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pluginexec: %s %v: %v", e.Path, e.Command, e.Err)
	writeTail(&b, e.StderrTail)
	return b.String()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ManifestError is the error of a plugin whose info command succeeded but
// printed a manifest this package refuses (not JSON, wrong version...).
type ManifestError struct {
	Path       string // the plugin's path
	StderrTail string // the last lines of the info run's stderr
	Err        error  // what is wrong with the manifest
}

func (e *ManifestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pluginexec: %s: bad manifest: %v", e.Path, e.Err)
	writeTail(&b, e.StderrTail)
	return b.String()
}

func (e *ManifestError) Unwrap() error { return e.Err }

func writeTail(b *strings.Builder, tail string) {
	if tail != "" {
		b.WriteString(": stderr tail: ")
		b.WriteString(tail)
	}
}

// exitStatus extracts the exit code and the killing signal from an error of
// os/exec: (-1, 0) when err carries no process state.
func exitStatus(err error) (code int, sig syscall.Signal) {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return -1, 0
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal()
	}
	return ee.ExitCode(), 0
}

// runError names the plugin and command of err, unless an ExitError for the
// same run already does.
func runError(p *Plugin, c *Command, err error) error {
	var ee *ExitError
	if errors.As(err, &ee) && ee.Path == p.Path() && slices.Equal(ee.Command, c.Path) {
		return err
	}
	return fmt.Errorf("pluginexec: %s %v: %w", p.Path(), c.Path, err)
}
