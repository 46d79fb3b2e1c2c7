//go:build linux

package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The isolation tests' plugin: a victim that connects and stays, and a
// prober that tries to open the victim's and the host's descriptors.
var isolationManifest = pluginexec.Manifest{
	Name:    "isolation",
	Version: "1.0.0",
	Commands: []pluginexec.Command{
		{Path: []string{"victim"}, Type: "victim"}, // iso.hello(pid), then iso.hold()
		{Path: []string{"prober"}, Type: "prober"}, // iso.target(), tries, iso.report(outcomes)
	},
}

func isolationPluginMain(args []string) int {
	if handled, err := pluginexec.HandleInfo(os.Stdout, args, isolationManifest); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin:", err)
			return 1
		}
		return 0
	}
	if err := service.InitServiceClient(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	fail := func(what string, err error) int {
		fmt.Fprintf(os.Stderr, "plugin: %s: %v\n", what, err)
		return 1
	}
	switch args[0] {
	case "victim":
		var hello func(int) error
		var hold func() error
		service.GetService("iso", "hello", &hello)
		service.GetService("iso", "hold", &hold)
		if err := hello(os.Getpid()); err != nil {
			return fail("hello", err)
		}
		if err := hold(); err != nil {
			return fail("hold", err)
		}
	case "prober":
		var target func() ([]int, error)
		var report func(map[string]int) error
		service.GetService("iso", "target", &target)
		service.GetService("iso", "report", &report)
		pids, err := target()
		if err != nil {
			return fail("target", err)
		}
		if err := report(probe(pids)); err != nil {
			return fail("report", err)
		}
	}
	return 0
}

// probe tries to open, for reading and for writing, descriptors 0 to 15
// of each pid through /proc/<pid>/fd, and counts the outcomes: "ok", or
// the error number's text.
func probe(pids []int) map[string]int {
	outcomes := map[string]int{}
	for _, pid := range pids {
		for n := 0; n < 16; n++ {
			path := filepath.Join("/proc", strconv.Itoa(pid), "fd", strconv.Itoa(n))
			for _, mode := range []int{syscall.O_RDONLY, syscall.O_WRONLY} {
				fd, err := syscall.Open(path, mode|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
				var errno syscall.Errno
				switch {
				case err == nil:
					syscall.Close(fd)
					outcomes["ok"]++
				case errors.As(err, &errno):
					outcomes[errno.Error()]++
				default:
					outcomes[err.Error()]++
				}
			}
		}
	}
	return outcomes
}

// Two plugins under distinct uids cannot open each other's pipes nor the
// host's (EACCES), whichever transport works across uids; two plugins under
// the same uid can (nothing separates them).
func TestPluginsUnderDistinctUIDsCannotReachEachOther(t *testing.T) {
	requireRoot(t)
	plug := copiedPlugin(t)
	fifos := worldDir(t)
	for _, tc := range []struct {
		name           string
		victim, prober uint32
		transport      func(uid uint32) host.BindOption
		wantOpened     bool
	}{
		{"inherited pipes", 64001, 64002, func(uint32) host.BindOption { return host.WithInheritedPipes() }, false},
		{"named pipes", 64001, 64002, func(uint32) host.BindOption { return host.WithNamedPipes(fifos, fifos) }, false},
		{"same uid", 64001, 64001, func(uint32) host.BindOption { return host.WithInheritedPipes() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			victimPid := make(chan int, 1)
			release := make(chan struct{})
			outcomes := make(chan map[string]int, 1)
			reg := registry.New()
			reg.AddService("iso", "hello", func(pid int) { victimPid <- pid })
			reg.AddService("iso", "hold", func(ctx context.Context) {
				select {
				case <-release:
				case <-ctx.Done():
				}
			})
			reg.AddService("iso", "target", func(ctx context.Context) ([]int, error) {
				select {
				case pid := <-victimPid:
					return []int{os.Getpid(), pid}, nil
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			})
			reg.AddService("iso", "report", func(o map[string]int) {
				outcomes <- o
				close(release)
			})
			uidOf := map[string]uint32{"victim": tc.victim, "prober": tc.prober}
			perRun := pluginexec.WithExecGenerator(func(_ *pluginexec.Plugin, c *pluginexec.Command) pluginexec.ExecOption {
				uid := uidOf[c.Type]
				return pluginexec.WithExecOptions(
					pluginexec.WithCredential(uid, uid),
					host.Bind(reg, tc.transport(uid), host.WithPipeOwner(int(uid), int(uid))))
			})
			e := startIsolation(t, plug, perRun)
			var got map[string]int
			select {
			case got = <-outcomes:
			case <-time.After(60 * time.Second):
				t.Fatal("watchdog: no report from the prober within 60s")
			}
			if err := e.wait(t, 30*time.Second); err != nil {
				t.Fatalf("the plugins failed: %v\n%s", err, e.stderr.String())
			}
			t.Logf("the prober's attempts on the host's and the victim's descriptors: %v", got)
			switch {
			case tc.wantOpened && got["ok"] == 0:
				t.Errorf("under one uid the prober opened nothing: %v", got)
			case !tc.wantOpened && (got["ok"] != 0 || got[syscall.EACCES.Error()] != 64):
				t.Errorf("outcomes %v, want all 64 attempts refused with %q", got, syscall.EACCES.Error())
			}
		})
	}
}

// A plugin under another uid cannot open the host's procfs pipes: it fails
// naming the URL and "permission denied", and told by WithPipeOwner, the
// host refuses the run at once, saying why.
func TestProcfsPipesRefuseAnotherUID(t *testing.T) {
	requireRoot(t)
	plug := copiedPlugin(t)
	run := func(opts ...host.BindOption) error {
		e := startIsolation(t, pluginexec.IterateTyped(plug, "victim"),
			pluginexec.WithCredential(64001, 64001),
			host.Bind(registry.New(), append([]host.BindOption{host.WithAnonymousPipe()}, opts...)...))
		return e.wait(t, 30*time.Second)
	}
	t.Run("plugin fails", func(t *testing.T) {
		checkLeaks(t)
		err := run()
		var ee *pluginexec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(ee.StderrTail, "file:///proc/") ||
			!strings.Contains(ee.StderrTail, "permission denied") {
			t.Fatalf("run error %v, want the plugin failing to open the procfs URL with permission denied", err)
		}
	})
	t.Run("host refuses", func(t *testing.T) {
		checkLeaks(t)
		err := run(host.WithPipeOwner(64001, 64001))
		if err == nil || !strings.Contains(err.Error(), "uid 64001 cannot open") || !strings.Contains(err.Error(), "WithInheritedPipes") {
			t.Fatalf("run error %v, want the host refusing procfs pipes for uid 64001", err)
		}
	})
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running plugins under other uids takes root (CAP_SETUID), which this test process lacks")
	}
}

// worldDir makes a directory every user can traverse and removes it at
// cleanup (t.TempDir's are 0700).
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hostcall-isolation-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// copiedPlugin copies the test binary where other users can run it and
// describes it as the isolation tests' plugin.
func copiedPlugin(t *testing.T) *pluginexec.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(worldDir(t), "plugin")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := pluginexec.NewPlugin(context.Background(), path, isolationEnv)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var isolationEnv = pluginexec.WithEnv(roleEnv+"=isolation-plugin", noRaceSleep)

// startIsolation runs the victim and the prober of rng side by side in the
// background.
func startIsolation(t *testing.T, rng pluginexec.ExecRange, opts ...pluginexec.ExecOption) *execution {
	t.Helper()
	return startExec(t, rng, append([]pluginexec.ExecOption{isolationEnv, pluginexec.WithExecParallelism(2)}, opts...)...)
}
