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

// drainDelay bounds how long DefaultExecutor waits, once a process is gone,
// for its output pipes to reach end of file: longer only when a process it
// started left descendants holding them.
const drainDelay = 2 * time.Second

// DefaultExecutor runs p as a child process and always waits for it. When
// ctx is done it sends SIGTERM, then SIGKILL after p.GracePeriod, and
// returns an error wrapping ctx.Err() (with the process's own error). On
// Linux the child also gets SIGKILL when the host dies (the parent-death
// signal). Only stdin, stdout, stderr and p.ExtraFiles reach the child.
func DefaultExecutor(ctx context.Context, p *Process) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cmd := command(p)
	if err := start(cmd); err != nil {
		return err
	}
	stop := watch(ctx, cmd.Process, p.GracePeriod)
	err := cmd.Wait()
	if stop() {
		return cancelled(ctx.Err(), err)
	}
	return err
}

// command builds the exec.Cmd for p.
func command(p *Process) *exec.Cmd {
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = p.Env
	cmd.Stdin = p.Stdin
	cmd.Stdout = p.Stdout
	cmd.Stderr = p.Stderr
	cmd.ExtraFiles = p.ExtraFiles
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = drainDelay
	return cmd
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

// watch stops proc when ctx is done: SIGTERM, then SIGKILL after grace. The
// returned stop function ends the watch once the process has been waited
// for and reports whether it signalled the process.
func watch(ctx context.Context, proc *os.Process, grace time.Duration) (stop func() bool) {
	done := make(chan struct{})
	signalled := make(chan bool, 1)
	go func() {
		select {
		case <-done:
			signalled <- false
		case <-ctx.Done():
			signalled <- terminate(proc, grace, done)
		}
	}()
	return func() bool {
		close(done)
		return <-signalled
	}
}

// terminate sends SIGTERM to proc and SIGKILL after grace, unless done is
// closed first. Without a grace period, or where SIGTERM cannot be sent,
// it kills at once. It reports false if proc had already finished.
func terminate(proc *os.Process, grace time.Duration, done <-chan struct{}) bool {
	err := os.ErrInvalid
	if grace > 0 {
		err = proc.Signal(syscall.SIGTERM)
	}
	if errors.Is(err, os.ErrProcessDone) {
		return false
	}
	if err != nil {
		return !errors.Is(proc.Kill(), os.ErrProcessDone)
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = proc.Kill()
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
