//go:build linux

package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// hostMain is the test binary run as a host process, for the cases that
// kill the host: it runs the pending plugin with faults.hold, writes
// $HOSTCALL_FAULTS_DIR/ready once holdCalls calls are running, and waits
// to be killed. $HOSTCALL_FAULTS_EXECUTOR picks the executor.
func hostMain() int {
	dir := os.Getenv(dirEnv)
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	ctx := context.Background()
	plug, err := pluginexec.NewPlugin(ctx, exe, pluginEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	var running atomic.Int64
	reg := registry.New()
	reg.AddService("faults", "hold", func(ctx context.Context) error {
		if running.Add(1) == holdCalls {
			if err := writeFileAtomic(filepath.Join(dir, "ready"), nil); err != nil {
				fmt.Fprintln(os.Stderr, "host:", err)
			}
		}
		<-ctx.Done()
		return ctx.Err()
	})
	opts := []pluginexec.ExecOption{pluginEnv, pluginexec.WithEnv(dirEnv + "=" + dir), host.Bind(reg)}
	switch os.Getenv(executorEnv) {
	case "default":
		opts = append(opts, pluginexec.WithEnv(stayEnv+"=1"))
	case "no-pdeathsig":
		opts = append(opts, pluginexec.WithExecutor(noPdeathsigExecutor(dir)))
	default:
		fmt.Fprintf(os.Stderr, "host: unknown executor %q\n", os.Getenv(executorEnv))
		return 2
	}
	err = pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, "pending"), nil, opts...)
	fmt.Fprintln(os.Stderr, "host: Exec returned, which it must not before the test kills the host:", err)
	return 1
}

// noPdeathsigExecutor runs a plugin with os/exec directly, without the
// parent-death signal of DefaultExecutor, so that the plugin outlives a
// killed host. Its stdout and stderr go to a file in dir: pipes to the host
// would break, and a Go program writing to a broken stdout or stderr dies of
// SIGPIPE.
func noPdeathsigExecutor(dir string) pluginexec.Executor {
	return func(ctx context.Context, p *pluginexec.Process) error {
		out, err := os.Create(filepath.Join(dir, "plugin.output"))
		if err != nil {
			return err
		}
		defer out.Close()
		cmd := exec.Command(p.Path, p.Args...)
		cmd.Env = p.Env
		cmd.Stdout = out
		cmd.Stderr = out
		cmd.ExtraFiles = p.ExtraFiles
		if err := cmd.Start(); err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
		err = cmd.Wait()
		if !stop() {
			return fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		return err
	}
}
