//go:build linux

package host_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// testPlugin describes the test binary as a plugin.
func testPlugin(t *testing.T) *pluginexec.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pluginexec.NewPlugin(context.Background(), exe, pluginexec.WithEnv(pluginEnv+"=1"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs one command of the test plugin with the given options and
// returns its stdout and the run's error.
func run(t *testing.T, plug *pluginexec.Plugin, command string, opts ...pluginexec.ExecOption) (string, error) {
	t.Helper()
	var stdout, stderr hosttest.SyncBuffer
	opts = append([]pluginexec.ExecOption{
		pluginexec.WithEnv(pluginEnv+"=1", "GORACE=atexit_sleep_ms=0"),
		pluginexec.WithStdout(&stdout),
		pluginexec.WithStderr(&stderr),
	}, opts...)
	err := pluginexec.Exec(context.Background(), pluginexec.IterateTyped(plug, command), nil, opts...)
	if err != nil {
		t.Logf("plugin stderr:\n%s", stderr.String())
	}
	return stdout.String(), err
}

// binders are the built-in transports, each with the descriptors the plugin
// should have inherited.
func binders(t *testing.T) []struct {
	name string
	opts []host.BindOption
	fds  string
} {
	dir := t.TempDir()
	return []struct {
		name string
		opts []host.BindOption
		fds  string
	}{
		{"default", nil, "0 1 2"},
		{"anonymous pipe", []host.BindOption{host.WithAnonymousPipe()}, "0 1 2"},
		{"inherited pipes", []host.BindOption{host.WithInheritedPipes()}, "0 1 2 3 4"},
		{"named pipes", []host.BindOption{host.WithNamedPipes(dir, dir)}, "0 1 2"},
		{"--host flag", []host.BindOption{host.WithHostFlag("host")}, "0 1 2"},
	}
}

func TestBindRunsRealPlugins(t *testing.T) {
	plug := testPlugin(t)
	for _, b := range binders(t) {
		t.Run(b.name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			out, err := run(t, plug, "add", host.Bind(hosttest.Registry(), b.opts...))
			if err != nil || out != "42\n" {
				t.Fatalf("plugin printed %q, err %v; want \"42\\n\"", out, err)
			}
		})
	}
}

func TestBindLeaksNoDescriptorsAndNoFIFOs(t *testing.T) {
	plug := testPlugin(t)
	for _, b := range binders(t) {
		t.Run(b.name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			// Descriptors the host holds open must not reach the plugin.
			stray, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			defer stray.Close()
			fifoDir := t.TempDir()
			opts := b.opts
			if b.name == "named pipes" {
				opts = []host.BindOption{host.WithNamedPipes(fifoDir, fifoDir)}
			}
			out, err := run(t, plug, "fds", host.Bind(hosttest.Registry(), opts...))
			if err != nil {
				t.Fatal(err)
			}
			fds, result, _ := strings.Cut(out, "\n")
			if got := withoutInherited(fds); got != b.fds || result != "42\n" {
				t.Errorf("plugin saw descriptors %q (%q before discounting the host's own inherited ones) and printed %q; want %q and \"42\\n\"",
					got, fds, result, b.fds)
			}
			left, _ := os.ReadDir(fifoDir)
			if len(left) != 0 {
				t.Errorf("%d entries left in the FIFO directory: %v", len(left), left)
			}
		})
	}
}

func TestBindManyCallsOverEachBinder(t *testing.T) {
	plug := testPlugin(t)
	for _, b := range binders(t) {
		t.Run(b.name, func(t *testing.T) {
			out, err := run(t, plug, "many", host.Bind(hosttest.Registry(), b.opts...))
			if err != nil || out != "bad 0\n" {
				t.Fatalf("plugin printed %q, err %v; want \"bad 0\\n\"", out, err)
			}
		})
	}
}

func TestPluginCrashEndsOnlyItsOwnConnection(t *testing.T) {
	hosttest.CheckGoroutines(t)
	plug := testPlugin(t)
	var stdout hosttest.SyncBuffer
	rng := func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) {
		for _, typ := range []string{"crash", "many", "add"} {
			for p, c := range pluginexec.IterateTyped(plug, typ) {
				if !yield(p, c) {
					return
				}
			}
		}
	}
	err := pluginexec.Exec(context.Background(), pluginexec.ExecIterator(rng), nil,
		pluginexec.WithEnv(pluginEnv+"=1", "GORACE=atexit_sleep_ms=0"), pluginexec.WithStdout(&stdout), pluginexec.WithStderr(&hosttest.SyncBuffer{}),
		pluginexec.WithExecParallelism(3), host.Bind(hosttest.Registry(), host.WithServeOptions(host.WithDrainTimeout(time.Second))))
	var ee *pluginexec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode != 3 || !strings.Contains(err.Error(), "[crash]") {
		t.Fatalf("Exec returned %v, want the crash plugin's exit status 3", err)
	}
	if strings.Contains(err.Error(), "[many]") || strings.Contains(err.Error(), "[add]") {
		t.Errorf("the other plugins failed too: %v", err)
	}
	out := stdout.String()
	if !strings.Contains(out, "bad 0\n") || !strings.Contains(out, "42\n") {
		t.Errorf("the other plugins printed %q, want their results", out)
	}
}

func TestBindErrorsNameTheURL(t *testing.T) {
	plug := testPlugin(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		opt  pluginexec.ExecOption
		want string
	}{
		{"unknown scheme", pluginexec.WithPrependArgs("--host-file", "bogus://x", "--host-file", "bogus://y"), `bogus://x`},
		{"missing file", host.WithFilePathPair(dir+"/no/in", dir+"/no/out"), dir + "/no/in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, plug, "add", tc.opt)
			var ee *pluginexec.ExitError
			if !errors.As(err, &ee) || !strings.Contains(ee.StderrTail, tc.want) {
				t.Fatalf("run error %v, want a failed plugin whose stderr names %q", err, tc.want)
			}
		})
	}
}

// unshareExecutor runs the plugin in new PID and mount namespaces with its
// own /proc, as a container would.
func unshareExecutor(ctx context.Context, p *pluginexec.Process) error {
	q := *p
	q.Path = "unshare"
	q.Args = append([]string{"--pid", "--fork", "--mount-proc", "--kill-child", p.Path}, p.Args...)
	return pluginexec.DefaultExecutor(ctx, &q)
}

func TestContainerizedPlugin(t *testing.T) {
	if err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "true").Run(); err != nil {
		t.Skipf("this kernel or user cannot create PID and mount namespaces (unshare: %v)", err)
	}
	plug := testPlugin(t)
	container := pluginexec.WithExecutor(unshareExecutor)
	t.Run("procfs binder fails clearly", func(t *testing.T) {
		_, err := run(t, plug, "add", container, host.Bind(hosttest.Registry(), host.WithAnonymousPipe()))
		var ee *pluginexec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(ee.StderrTail, "file:///proc/") ||
			!strings.Contains(ee.StderrTail, "no such file or directory") {
			t.Fatalf("run error %v, want the plugin failing to open the procfs URL", err)
		}
	})
	dir := t.TempDir()
	for _, b := range []struct {
		name string
		opt  host.BindOption
	}{
		{"named pipes", host.WithNamedPipes(dir, dir)},
		{"inherited pipes", host.WithInheritedPipes()},
	} {
		t.Run(b.name+" work", func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			out, err := run(t, plug, "add", container, host.Bind(hosttest.Registry(), b.opt))
			if err != nil || out != "42\n" {
				t.Fatalf("plugin printed %q, err %v; want \"42\\n\"", out, err)
			}
		})
	}
}

// withoutInherited removes from a plugin's descriptor list those that the
// test process itself inherited without close-on-exec (from the shell or CI
// runner that started it): they reach every child of this process, and
// their presence says nothing about hostcall.
func withoutInherited(fds string) string {
	inherited := map[string]bool{}
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil || n <= 2 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			inherited[e.Name()] = true
		}
	}
	var keep []string
	for _, fd := range strings.Fields(fds) {
		if !inherited[fd] {
			keep = append(keep, fd)
		}
	}
	return strings.Join(keep, " ")
}

// WithFilePath and WithFilePathPair announce their URLs with the flag of
// the Bind whose BindFunc uses them: a plugin that only knows --host can be
// given file paths.
func TestFilePathsFollowTheHostFlag(t *testing.T) {
	plug := bindPlugin(t)
	pairOverProcfs := func(ctx context.Context, _ *pluginexec.Plugin, _ *pluginexec.Command,
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
		go func() { served <- host.Serve(context.WithoutCancel(ctx), reg, hr, hw) }()
		fd := func(f *os.File) string {
			return "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(int(f.Fd()))
		}
		runErr := next(ctx, host.WithFilePathPair(fd(pr), fd(pw)))
		pw.Close() // the plugin is gone: Serve reads the end of its stream
		return errors.Join(runErr, <-served)
	}
	socket := func(ctx context.Context, _ *pluginexec.Plugin, _ *pluginexec.Command,
		next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry) error {
		path := filepath.Join(t.TempDir(), "sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			return err
		}
		defer l.Close()
		served := make(chan error, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				served <- err
				return
			}
			defer c.Close()
			served <- host.Serve(context.WithoutCancel(ctx), reg, c, c)
		}()
		runErr := next(ctx, host.WithFilePath("unix://"+path))
		l.Close() // a plugin that never connected leaves Accept waiting
		return errors.Join(runErr, <-served)
	}
	for _, tc := range []struct {
		name string
		bind host.BindFunc
	}{
		{"WithFilePathPair", pairOverProcfs},
		{"WithFilePath", socket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			out, err := runBindPlugin(t, context.Background(), plug, "hostonly",
				host.Bind(hosttest.Registry(), host.WithHostFlag("host"), host.WithBindFunc(tc.bind)))
			if err != nil || out != "42\n" {
				t.Fatalf("plugin printed %q, err %v; want \"42\\n\"", out, err)
			}
		})
	}
}
