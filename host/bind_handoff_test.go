//go:build linux

package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
)

// handOffTransports are the built-in transports with, for named pipes, the
// directory their FIFOs are made in.
func handOffTransports(t *testing.T) []struct {
	name string
	opt  host.BindOption
	dir  string
} {
	dir := t.TempDir()
	return []struct {
		name string
		opt  host.BindOption
		dir  string
	}{
		{"default", nil, ""},
		{"anonymous pipe", host.WithAnonymousPipe(), ""},
		{"inherited pipes", host.WithInheritedPipes(), ""},
		{"named pipes", host.WithNamedPipes(dir, dir), dir},
	}
}

// Once a plugin is connected, the host holds no descriptor of the
// plugin's ends: only its own end of each pipe, so that no other process
// can open the plugin's ends through the host's /proc/<pid>/fd, and, for
// named pipes, no FIFO is left to open by name.
func TestBindHostLetsGoOfThePluginsEnds(t *testing.T) {
	plug := bindPlugin(t)
	for _, tr := range handOffTransports(t) {
		t.Run(tr.name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			reg := hosttest.Registry()
			// The check runs in a service the plugin calls, so once it has
			// connected; the hand-off is not instantaneous, hence the wait.
			reg.AddService("bind", "check", func() string {
				var problems []string
				deadline := time.Now().Add(10 * time.Second)
				for {
					problems = pipesHeldBothWays(t)
					if tr.dir != "" {
						if left, _ := os.ReadDir(tr.dir); len(left) > 0 {
							problems = append(problems, fmt.Sprintf("%d entries left in the FIFO directory", len(left)))
						}
					}
					if len(problems) == 0 || time.Now().After(deadline) {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				if len(problems) > 0 {
					return "watchdog, 10s after the plugin connected: " + strings.Join(problems, "; ")
				}
				return "ok"
			})
			var opts []host.BindOption
			if tr.opt != nil {
				opts = append(opts, tr.opt)
			}
			out, err := runBindPlugin(t, context.Background(), plug, "check", host.Bind(reg, opts...))
			if err != nil || out != "ok\n" {
				t.Fatalf("plugin printed %q, err %v; want \"ok\\n\"", out, err)
			}
		})
	}
}

// A plugin that closes its pipes and keeps running ends its connection at
// once: its calls still running on the host are canceled, without waiting
// for the process to exit.
func TestBindSeesAPluginCloseItsPipes(t *testing.T) {
	plug := bindPlugin(t)
	for _, tr := range handOffTransports(t) {
		t.Run(tr.name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			holding, ended := make(chan struct{}), make(chan struct{})
			reg := hosttest.Registry()
			reg.AddService("bind", "hold", func(ctx context.Context) {
				close(holding)
				<-ctx.Done()
				close(ended)
			})
			reg.AddService("bind", "ready", func(ctx context.Context) error {
				select {
				case <-holding:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			var opts []host.BindOption
			if tr.opt != nil {
				opts = append(opts, tr.opt)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := runBindPlugin(t, ctx, plug, "close", host.Bind(reg, opts...), pluginexec.WithGracePeriod(0))
				done <- err
			}()
			select {
			case <-ended:
			case err := <-done:
				t.Fatalf("the plugin's run ended first: %v", err)
			case <-time.After(10 * time.Second):
				t.Errorf("watchdog: the host did not see the plugin close its pipes within 10s")
			}
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("watchdog: the run did not end within 30s of its cancellation")
			}
		})
	}
}

// runBindPlugin runs one command of the bind tests' plugin and returns its
// stdout and the run's error.
func runBindPlugin(t *testing.T, ctx context.Context, plug *pluginexec.Plugin, command string,
	opts ...pluginexec.ExecOption) (string, error) {
	var stdout, stderr hosttest.SyncBuffer
	opts = append([]pluginexec.ExecOption{bindPluginEnvs, pluginexec.WithStdout(&stdout), pluginexec.WithStderr(&stderr)}, opts...)
	err := pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, command), nil, opts...)
	if err != nil && ctx.Err() == nil {
		t.Logf("plugin stderr:\n%s", stderr.String())
	}
	return stdout.String(), err
}

// pipesHeldBothWays lists the pipes and FIFOs that this process holds
// open for reading and for writing at once: with the host's end of a
// connection's pipe, the plugin's.
func pipesHeldBothWays(t *testing.T) []string {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Errorf("listing descriptors: %v", err)
		return nil
	}
	type modes struct {
		read, write bool
		fds         []string
	}
	byInode := map[string]*modes{}
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			continue
		}
		info, err := os.ReadFile(filepath.Join("/proc/self/fdinfo", e.Name()))
		if err != nil {
			continue
		}
		flags := -1
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				if err == nil {
					flags = int(n)
				}
			}
		}
		link, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || flags < 0 {
			continue
		}
		key := fmt.Sprintf("%d:%d", st.Dev, st.Ino)
		m := byInode[key]
		if m == nil {
			m = &modes{}
			byInode[key] = m
		}
		switch flags & 3 {
		case os.O_RDONLY:
			m.read = true
		case os.O_WRONLY:
			m.write = true
		default:
			m.read, m.write = true, true
		}
		m.fds = append(m.fds, e.Name()+"="+link)
	}
	var out []string
	for _, m := range byInode {
		if m.read && m.write {
			out = append(out, "held both ways: "+strings.Join(m.fds, ", "))
		}
	}
	return out
}
