//go:build linux

package host_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// Each plugin is bound to its own layer: it reaches the shared namespaces
// and its own, never another plugin's.
func TestPerPluginLayers(t *testing.T) {
	hosttest.CheckGoroutines(t)
	plug := testPlugin(t)
	shared := registry.New()
	shared.AddService("shared", "who", func() string { return "everyone" })
	layers := map[string]*registry.Registry{}
	for _, name := range []string{"a", "b"} {
		l := shared.Inherit()
		l.AddService("only-"+name, "who", func() string { return name })
		layers["reach-"+name] = l
	}
	perPlugin := pluginexec.WithExecGenerator(func(p *pluginexec.Plugin, c *pluginexec.Command) pluginexec.ExecOption {
		return host.Bind(layers[c.Type])
	})
	var out hosttest.SyncBuffer
	err := pluginexec.Exec(context.Background(), func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) {
		for _, typ := range []string{"reach-a", "reach-b"} {
			for p, c := range pluginexec.IterateTyped(plug, typ) {
				if !yield(p, c) {
					return
				}
			}
		}
	}, nil, perPlugin, pluginexec.WithExecParallelism(2), pluginexec.WithStdout(&out),
		pluginexec.WithEnv(pluginEnv+"=1", "GORACE=atexit_sleep_ms=0"))
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"shared=everyone only-a=a only-b=unknown \n",
		"shared=everyone only-a=unknown only-b=b \n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plugins reported %q, want a line %q", got, want)
		}
	}
}

// FIFOs are 0600 in a 0700 directory: other users can neither open them
// nor list the directory.
func TestNamedPipesArePrivate(t *testing.T) {
	plug := testPlugin(t)
	dir := t.TempDir()
	out, err := run(t, plug, "perms", host.Bind(hosttest.Registry(), host.WithNamedPipes(dir, dir)))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(out)
	if len(fields) != 4 {
		t.Fatalf("plugin reported %q, want the modes of two FIFOs and their directory", out)
	}
	for i, f := range fields {
		want := "prw-------:in"
		switch i {
		case 1, 3:
			want = "drwx------:"
		case 2:
			want = "prw-------:out"
		}
		if !strings.HasPrefix(f, want) {
			t.Errorf("mode %d is %q, want %q...", i, f, want)
		}
	}
}

// While a plugin runs, every descriptor the host opened for it is
// close-on-exec: nothing of one plugin's leaks into another process the
// host starts. (The plugin's own ends reach it by procfs, by name or, for
// inherited pipes, by the explicit extra files of its own exec only.)
func TestHostDescriptorsAreCloseOnExec(t *testing.T) {
	plug := testPlugin(t)
	inherited := map[int]bool{} // what the runner left us without close-on-exec
	for _, fd := range listFDs(t) {
		if fd > 2 && !closeOnExec(fd) {
			inherited[fd] = true
		}
	}
	dir := t.TempDir()
	for _, b := range []host.BindOption{host.WithAnonymousPipe(), host.WithInheritedPipes(), host.WithNamedPipes(dir, dir)} {
		transport := 0
		// The check runs inside the service the plugin calls, while its
		// connection is live.
		reg := registry.New()
		reg.AddService("calc", "add", func(a, b int) int {
			for _, fd := range listFDs(t) {
				if fd <= 2 || inherited[fd] {
					continue
				}
				target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
				if strings.HasPrefix(target, "pipe:") || strings.Contains(target, "/hostcall-") {
					transport++
				}
				if !closeOnExec(fd) {
					t.Errorf("descriptor %d (%s) is not close-on-exec while a plugin runs", fd, target)
				}
			}
			return a + b
		})
		if out, err := run(t, plug, "add", host.Bind(reg, b)); err != nil || out != "42\n" {
			t.Fatalf("plugin printed %q, err %v", out, err)
		}
		if transport < 2 {
			t.Errorf("saw %d pipe or FIFO descriptors during the call, want at least the host's two", transport)
		}
	}
}

func closeOnExec(fd int) bool {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err != nil || flags&unix.FD_CLOEXEC != 0
}

func listFDs(t *testing.T) []int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			fds = append(fds, n)
		}
	}
	return fds
}
