//go:build unix

package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hostcall/hostcall/internal/fdpipe"
	"github.com/hostcall/hostcall/opener"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"golang.org/x/sys/unix"
)

// WithNamedPipes binds through two FIFOs, for plugins that do not share the
// host's PID namespace (containers). For each run the host creates a fresh
// directory, mode 0700, under hostDir, holding the FIFOs "in" (host to
// plugin) and "out" (plugin to host), mode 0600, and announces them to the
// plugin under pluginDir: the same directory as mounted inside the
// container (pass the same path twice when the plugin sees hostDir as is).
// Once the plugin has opened both FIFOs the directory is removed, so that
// nothing else can open them by name; otherwise it is removed when the run
// ends. The directory's name carries the host's pid and start time: a host
// that was killed (SIGKILL) before it could remove its directories leaves
// them behind, and the next host to make one in hostDir removes those,
// whose owner process is gone. For plugins running as another user, see
// WithPipeOwner.
func WithNamedPipes(hostDir, pluginDir string) BindOption {
	return func(c *bindConfig) {
		c.bind = func(cfg *bindConfig) BindFunc {
			return func(ctx context.Context, plug *pluginexec.Plugin, cmd *pluginexec.Command,
				next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry) error {
				return cfg.serveFIFOs(ctx, plug, cmd, next, reg, hostDir, pluginDir)
			}
		}
	}
}

func (cfg *bindConfig) serveFIFOs(ctx context.Context, plug *pluginexec.Plugin, cmd *pluginexec.Command,
	next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry, hostDir, pluginDir string) error {
	dir, err := makeRunDir(hostDir)
	if err != nil {
		return fmt.Errorf("host: named pipes: %w", err)
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := cfg.makeFIFOs(dir, in, out); err != nil {
		return err
	}
	// Opening a FIFO waits for the other end: open ours in the background
	// while the plugin starts and opens its own.
	w := openAsync(in, os.O_WRONLY)
	r := openAsync(out, os.O_RDONLY)
	connected := make(chan *session, 1)
	go func() {
		rf, wf := <-r, <-w
		if rf.err != nil || wf.err != nil {
			closeFiles(rf.f, wf.f)
			connected <- nil
			return
		}
		// The plugin holds both its ends: the names are of no more use to
		// it, and only a way in for others.
		os.RemoveAll(dir)
		connected <- startSession(ctx, cfg, reg, plug, cmd, fdpipe.Adopt(rf.f), fdpipe.Adopt(wf.f))
	}()
	sub := filepath.Base(dir)
	runErr := next(ctx, cfg.hostArgs(
		opener.FileURL(filepath.Join(pluginDir, sub, "in")),
		opener.FileURL(filepath.Join(pluginDir, sub, "out"))))
	// A plugin that never opened its ends leaves ours waiting: hold the
	// other sides open ourselves until they return.
	release := holdOpen(in, out)
	s := <-connected
	release()
	if s == nil {
		return runErr
	}
	err = s.finish(runErr, cfg.teardown)
	for _, f := range s.files {
		f.Close()
	}
	return err
}

// makeFIFOs makes the FIFOs in and out in dir, mode 0600, given with dir
// to the plugins' user and group if WithPipeOwner set them.
func (cfg *bindConfig) makeFIFOs(dir, in, out string) error {
	for _, p := range []string{in, out} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			return fmt.Errorf("host: named pipes: mkfifo %s: %w", p, err)
		}
	}
	o := cfg.owner
	if o == nil {
		return nil
	}
	for _, p := range []string{in, out} {
		if err := os.Lchown(p, o.uid, o.gid); err != nil {
			return fmt.Errorf("host: named pipes for uid %d: %w", o.uid, err)
		}
	}
	if err := os.Lchown(dir, -1, o.gid); err != nil {
		return fmt.Errorf("host: named pipes for gid %d: %w", o.gid, err)
	}
	if err := os.Chmod(dir, 0o710); err != nil {
		return fmt.Errorf("host: named pipes: %w", err)
	}
	return nil
}

type openResult struct {
	f   *os.File
	err error
}

func openAsync(path string, flag int) <-chan openResult {
	ch := make(chan openResult, 1)
	go func() {
		f, err := os.OpenFile(path, flag, 0)
		ch <- openResult{f, err}
	}()
	return ch
}

// holdOpen opens the FIFOs at paths read-write, which neither waits nor
// fails for want of another end and counts as both ends, so that the
// host's pending opens return; it returns the function that closes them.
// (Opening and closing at once would race with an open not yet begun.) A
// FIFO already removed, because the plugin opened both, is skipped.
func holdOpen(paths ...string) (release func()) {
	var fds []int
	for _, p := range paths {
		if fd, err := unix.Open(p, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}
