//go:build linux

package host_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// callerReport is what the caller.report service saw of one call.
type callerReport struct {
	caller host.Caller
	ok     bool
	pid    int // the plugin's own, as it reported it
}

// callerRegistry serves caller.report, which records CallerFromContext
// and the pid the plugin says it has.
func callerRegistry(t *testing.T) (*registry.Registry, func() []callerReport) {
	t.Helper()
	var mu sync.Mutex
	var reports []callerReport
	reg := registry.New()
	reg.AddServices(registry.Services{"caller": {
		"report": func(ctx context.Context, pid int) {
			c, ok := host.CallerFromContext(ctx)
			mu.Lock()
			reports = append(reports, callerReport{c, ok, pid})
			mu.Unlock()
		},
	}})
	return reg, func() []callerReport {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(reports)
	}
}

// TestCallerFromContext: for each binder, a service knows which plugin,
// command and process called it; the process id is the one the plugin
// itself reports.
func TestCallerFromContext(t *testing.T) {
	plug := bindPlugin(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		opts []host.BindOption
	}{
		{"default", nil},
		{"anonymous pipe", []host.BindOption{host.WithAnonymousPipe()}},
		{"inherited pipes", []host.BindOption{host.WithInheritedPipes()}},
		{"named pipes", []host.BindOption{host.WithNamedPipes(dir, dir)}},
		{"WithBindFunc", []host.BindOption{host.WithBindFunc(pipesByProcfs)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			reg, reports := callerRegistry(t)
			out, err := runBindPlugin(t, context.Background(), plug, "whoami", host.Bind(reg, tc.opts...))
			if err != nil || out != "reported\n" {
				t.Fatalf("plugin printed %q, err %v; want \"reported\\n\"", out, err)
			}
			got := reports()
			if len(got) != 1 {
				t.Fatalf("%d reports, want 1", len(got))
			}
			r := got[0]
			switch {
			case !r.ok:
				t.Fatal("CallerFromContext found no caller")
			case r.caller.Plugin != plug:
				t.Errorf("caller's plugin %v, want %v", r.caller.Plugin, plug)
			case r.caller.Plugin.Name != "bindtest" || r.caller.Plugin.Path() != plug.Path():
				t.Errorf("caller's plugin is %q at %s, want bindtest at %s", r.caller.Plugin.Name, r.caller.Plugin.Path(), plug.Path())
			case r.caller.Command == nil || !slices.Equal(r.caller.Command.Path, []string{"who", "am", "i"}):
				t.Errorf("caller's command %+v, want who am i", r.caller.Command)
			}
			if r.caller.PID != r.pid || r.pid <= 0 {
				t.Errorf("caller's pid %d, the plugin says it is %d", r.caller.PID, r.pid)
			}
		})
	}
}

// TestCallerWithAnExecutorThatDoesNotReport: an executor that starts the
// process without reporting it leaves the pid 0, not a wrong one, and
// the rest of the caller known.
func TestCallerWithAnExecutorThatDoesNotReport(t *testing.T) {
	hosttest.CheckGoroutines(t)
	plug := bindPlugin(t)
	reg, reports := callerRegistry(t)
	silent := pluginexec.WithExecutor(func(ctx context.Context, p *pluginexec.Process) error {
		q := *p
		q.Starting = nil
		return pluginexec.DefaultExecutor(ctx, &q)
	})
	out, err := runBindPlugin(t, context.Background(), plug, "whoami", host.Bind(reg), silent)
	if err != nil || out != "reported\n" {
		t.Fatalf("plugin printed %q, err %v; want \"reported\\n\"", out, err)
	}
	got := reports()
	if len(got) != 1 || !got[0].ok || got[0].caller.Plugin != plug || got[0].caller.PID != 0 {
		t.Errorf("reports %+v, want one with the plugin and pid 0", got)
	}
}

// TestNoCallerWithoutBind: Serve on its own knows no plugin run.
func TestNoCallerWithoutBind(t *testing.T) {
	if c, ok := host.CallerFromContext(context.Background()); ok {
		t.Errorf("a caller in a bare context: %+v", c)
	}
	if o := host.WithCallerFrom(context.Background()); o != nil {
		t.Error("WithCallerFrom of a context without a caller is an option")
	}
}

// pipesByProcfs is a BindFunc of the kind a user writes: pipes announced
// with WithFilePathPair, Serve given WithCallerFrom(ctx).
func pipesByProcfs(ctx context.Context, _ *pluginexec.Plugin, _ *pluginexec.Command,
	next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry) error {
	pr, hw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	defer hw.Close()
	hr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer hr.Close()
	served := make(chan error, 1)
	go func() { served <- host.Serve(context.WithoutCancel(ctx), reg, hr, hw, host.WithCallerFrom(ctx)) }()
	fd := func(f *os.File) string {
		return "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(int(f.Fd()))
	}
	runErr := next(ctx, host.WithFilePathPair(fd(pr), fd(pw)))
	pw.Close() // the plugin is gone: Serve reads the end of its stream
	return errors.Join(runErr, <-served)
}
