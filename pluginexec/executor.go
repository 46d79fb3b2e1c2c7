package pluginexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Executor runs a plugin process to completion and returns its error: nil
// only if it ran and exited 0. It must honour ctx (stop the process when ctx
// is done and return an error wrapping ctx.Err()) and must not return before
// the process is gone. Executors that wrap plugins in containers, namespaces
// or sandboxes usually rewrite the Process and delegate to DefaultExecutor.
type Executor func(ctx context.Context, p *Process) error

// drainDelay bounds how long DefaultExecutor waits, once a process and its
// group are gone, for its output pipes to reach end of file: longer only
// when a descendant that left the group holds them.
const drainDelay = 2 * time.Second

// DefaultExecutor runs p as a child process, in a process group of its own
// on Unix, and always waits for it. When ctx is done it sends SIGTERM to the
// group, then SIGKILL after p.GracePeriod, and returns an error wrapping
// ctx.Err() (with the process's own error). When the process exits, what is
// left of its group (processes it started and did not wait for) gets
// SIGTERM, then SIGKILL if any remains after p.GracePeriod: the run ends
// with the group, and its error is the process's own (nil for exit status
// 0), even when a descendant held its stdout or stderr (on Linux the group
// is ended before the pipes are drained; elsewhere once they are, which
// such a descendant delays by up to two seconds). A descendant that
// left the group (setsid) is not ended; its hold on the output pipes is
// cut after a short delay. On Linux the child also gets SIGKILL when the
// host dies (the parent-death signal); with p.Credential set it runs as
// that user and group (Unix only: elsewhere such a run fails). It reports
// the start to p.Starting (WithStartHook). Only stdin,
// stdout, stderr and p.ExtraFiles reach the child.
//
// As the plugin is not in the host's process group, a terminal's Ctrl-C
// does not reach it: a host stops its plugins by cancelling ctx (see
// signal.NotifyContext). A plugin that reads from the terminal is stopped
// by SIGTTIN. A host that is a child subreaper (PR_SET_CHILD_SUBREAPER)
// adopts the descendants a plugin leaves and must reap them.
func DefaultExecutor(ctx context.Context, p *Process) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cmd, err := command(p)
	if err != nil {
		return err
	}
	started := starting(p)
	if err := start(cmd); err != nil {
		started(0)
		return startError(p, err)
	}
	started(cmd.Process.Pid)
	g := newGroup(cmd.Process)
	stop := watch(ctx, g, p.GracePeriod)
	err = reap(cmd, g, p.GracePeriod)
	if stop() {
		return cancelled(ctx.Err(), err)
	}
	return err
}

// command builds the exec.Cmd for p.
func command(p *Process) (*exec.Cmd, error) {
	attr, err := sysProcAttr(p)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = p.Env
	cmd.Stdin = p.Stdin
	cmd.Stdout = p.Stdout
	cmd.Stderr = p.Stderr
	cmd.ExtraFiles = p.ExtraFiles
	cmd.SysProcAttr = attr
	cmd.WaitDelay = drainDelay
	return cmd, nil
}

// startError is the error of a process that could not be started, naming
// the credential it was to run with.
func startError(p *Process, err error) error {
	if p.Credential != nil {
		return fmt.Errorf("as uid %d gid %d: %w", p.Credential.UID, p.Credential.GID, err)
	}
	return err
}

// start starts cmd from a new goroutine. The parent-death signal fires when
// the thread that forked the child exits, and the runtime ends a thread only
// when a goroutine locked to it ends: forking from a fresh, never locked
// goroutine keeps a caller's LockOSThread from cutting the plugin's life
// short. (A thread can still be ended later by a goroutine that locks it and
// exits: code that does that should not share a process with plugins.)
func start(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() { errc <- cmd.Start() }()
	return <-errc
}

// reap waits for cmd's process and ends the rest of its group g: once the
// process has exited, the group gets SIGTERM, then SIGKILL when grace has
// passed and a member is still alive. It returns the process's own error.
// Where its exit can be seen before it is reaped (Linux), the group is
// signalled while the exited process still holds the group's id, and
// before waiting for the output pipes, which the group's end closes.
func reap(cmd *exec.Cmd, g *group, grace time.Duration) error {
	waited := make(chan error, 1)
	if awaitExit(cmd.Process) {
		go func() { waited <- cmd.Wait() }()
	} else {
		waited <- cmd.Wait()
	}
	deadline := time.Now().Add(grace)
	if grace <= 0 {
		g.signal(syscall.SIGKILL)
		return ownStatus(<-waited)
	}
	g.terminate()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	var err error
	select {
	case err = <-waited:
	case <-timer.C:
		g.signal(syscall.SIGKILL)
		err = <-waited
	}
	settle(g, deadline)
	return ownStatus(err)
}

// settle waits until no member of g is alive, polling, and kills what is
// left at the deadline.
func settle(g *group, deadline time.Time) {
	delay := time.Millisecond
	for g.alive() {
		left := time.Until(deadline)
		if left <= 0 {
			g.signal(syscall.SIGKILL)
			return
		}
		time.Sleep(min(delay, left))
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// ownStatus is the error of the process itself: an output pipe still held
// by a descendant that left the group once the drain delay is over does not
// make the run fail.
func ownStatus(err error) error {
	if errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	return err
}

// watch stops g when ctx is done: SIGTERM, then SIGKILL after grace. The
// returned stop function ends the watch once the process has been waited
// for and reports whether it signalled the process.
func watch(ctx context.Context, g *group, grace time.Duration) (stop func() bool) {
	done := make(chan struct{})
	signalled := make(chan bool, 1)
	go func() {
		select {
		case <-done:
			signalled <- false
		case <-ctx.Done():
			signalled <- terminate(g, grace, done)
		}
	}()
	return func() bool {
		close(done)
		return <-signalled
	}
}

// terminate sends SIGTERM to g and SIGKILL after grace, unless done is
// closed first. Without a grace period, or where the leader cannot be
// signalled, it kills at once. It reports false if g's leader had already
// finished, which its os.Process knows, having reaped it; the leader gets
// SIGTERM once, with its group.
func terminate(g *group, grace time.Duration, done <-chan struct{}) bool {
	err := g.leader.Signal(syscall.Signal(0))
	if errors.Is(err, os.ErrProcessDone) {
		return false
	}
	if err != nil || grace <= 0 {
		_ = g.leader.Kill()
		g.signal(syscall.SIGKILL)
		return true
	}
	g.terminate()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = g.leader.Kill()
		g.signal(syscall.SIGKILL)
	}
	return true
}

// cancelled is the error of a run stopped because its context ended.
func cancelled(ctxErr, err error) error {
	if err == nil {
		return ctxErr
	}
	return fmt.Errorf("%w: %w", ctxErr, err)
}
