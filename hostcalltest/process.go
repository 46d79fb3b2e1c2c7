package hostcalltest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// StartPlugin starts a command of the plugin binary at path that serves
// (service.Serve), binds reg to it as a host does (host.Start: the
// default transport unless WithBindOptions picks one) and returns once the
// plugin serves. It fails the test if the plugin cannot be started or
// exits before it serves, showing its exit status and stderr.
//
//	p := hostcalltest.StartPlugin(t, bin, reg, hostcalltest.WithCommand("serve"))
//	var get func(ctx context.Context, key string) (string, error)
//	p.GetService("kv", "get", &get)
//
// The plugin's stderr is logged (t.Logf) at cleanup, unless
// WithExecOptions sends it elsewhere. The plugin is stopped at Stop or at
// cleanup; it is not tied to the test's context.
func StartPlugin(t testing.TB, path string, reg *registry.Registry, opts ...Option) *Plugin {
	t.Helper()
	cfg := newConfig(opts)
	stderr := &syncBuffer{}
	plug := loadPlugin(t, path, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	exec := append([]pluginexec.ExecOption{pluginexec.WithStderr(stderr)}, cfg.exec...)
	if len(cfg.args) > 0 {
		exec = append(exec, pluginexec.WithPrependArgs(cfg.args...))
	}
	bind := append(slices.Clip(cfg.bind), host.WithServeOptions(cfg.serve...), host.WithExecOptions(exec...))
	if cfg.command != nil {
		bind = append(bind, host.WithCommand(cfg.command...))
	}
	t.Cleanup(func() { logStderr(t, path, stderr) }) // after the plugin's own cleanup
	r, err := host.Start(ctx, plug, reg, bind...)
	if err != nil {
		cancel()
		t.Fatalf("hostcalltest: StartPlugin: %v", err)
	}
	return newPlugin(t, r.Client(), func() error {
		defer cancel()
		sctx, scancel := context.WithTimeout(ctx, stopWait)
		defer scancel()
		return r.Stop(sctx)
	})
}

// Output is what a plugin run by RunPlugin wrote, and how it ended.
type Output struct {
	Stdout, Stderr string
	// Err is nil when the plugin exited with status 0. Otherwise it says
	// how the run failed: a *pluginexec.ExitError (errors.As) with the
	// plugin's exit status and stderr tail, a serving failure of the host.
	Err error
}

// RunPlugin runs a command of the plugin binary at path to completion
// against reg, as a host runs a plugin (pluginexec.Exec with host.Bind),
// and returns what it wrote and how it ended. It fails the test if path
// is not a plugin (its info command fails or prints no valid manifest).
//
//	out := hostcalltest.RunPlugin(t, bin, reg, hostcalltest.WithCommand("scan"), hostcalltest.WithArgs("dir"))
//	if out.Err != nil {
//		t.Fatalf("scan: %v", out.Err) // the exit status and the tail of stderr
//	}
func RunPlugin(t testing.TB, path string, reg *registry.Registry, opts ...Option) Output {
	t.Helper()
	cfg := newConfig(opts)
	plug := loadPlugin(t, path, cfg)
	cmd, err := pickCommand(plug, cfg.command)
	if err != nil {
		t.Fatalf("hostcalltest: RunPlugin: %v", err)
	}
	var stdout, stderr syncBuffer
	one := pluginexec.ExecIterator(func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) { yield(plug, cmd) })
	exec := append([]pluginexec.ExecOption{pluginexec.WithStdout(&stdout), pluginexec.WithStderr(&stderr)}, cfg.exec...)
	bind := host.Bind(reg, append(slices.Clip(cfg.bind), host.WithServeOptions(cfg.serve...))...)
	err = pluginexec.Exec(context.Background(), one, cfg.args, append(exec, bind)...)
	return Output{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// loadPlugin reads the manifest of the plugin at path, with the exec
// options that apply to info runs (environment, executor...).
func loadPlugin(t testing.TB, path string, cfg *config) *pluginexec.Plugin {
	t.Helper()
	dopts := make([]pluginexec.DiscoverOption, len(cfg.exec))
	for i, o := range cfg.exec {
		dopts[i] = o
	}
	plug, err := pluginexec.NewPlugin(context.Background(), path, dopts...)
	if err != nil {
		t.Fatalf("hostcalltest: %v", err)
	}
	return plug
}

// pickCommand finds the command of plug whose path is words; with none,
// its only command.
func pickCommand(plug *pluginexec.Plugin, words []string) (*pluginexec.Command, error) {
	if words == nil {
		if len(plug.Commands) != 1 {
			return nil, fmt.Errorf("plugin %s has %d commands: say which with WithCommand", plug.Path(), len(plug.Commands))
		}
		return &plug.Commands[0], nil
	}
	for i := range plug.Commands {
		if slices.Equal(plug.Commands[i].Path, words) {
			return &plug.Commands[i], nil
		}
	}
	return nil, fmt.Errorf("plugin %s has no command %q in its manifest", plug.Path(), strings.Join(words, " "))
}

// logStderr logs what a plugin wrote on stderr, if anything.
func logStderr(t testing.TB, path string, stderr *syncBuffer) {
	if s := stderr.String(); s != "" {
		t.Logf("stderr of plugin %s:\n%s", path, strings.TrimSuffix(s, "\n"))
	}
}

// syncBuffer is a strings.Builder safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
