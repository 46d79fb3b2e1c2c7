//go:build linux

package service_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The orphan tests' plugin: the test binary, connected to a "host" that is
// the test itself, through pipes the test closes to play the host's end.
const orphanEnv = "HOSTCALL_SERVICE_ORPHAN_PLUGIN"

func init() {
	if mode := os.Getenv(orphanEnv); mode != "" {
		if mode == "keep" {
			service.KeepRunningWithoutHost()
		}
		if err := service.InitServiceClient(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "plugin:", err)
			os.Exit(2)
		}
		fmt.Println("ready")
		// Busy with work of its own, calling nothing: nothing reads the
		// connection. Only the guard can notice the host's end.
		time.Sleep(service.OrphanGrace + 3*time.Second)
		fmt.Println("still running")
		os.Exit(0)
	}
}

// hostPipes are the two pipes between the test (host) and the plugin.
type hostPipes struct {
	hostR, plugW, plugR, hostW *os.File
}

func newHostPipes(t *testing.T) *hostPipes {
	var p hostPipes
	var err error
	if p.plugR, p.hostW, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	if p.hostR, p.plugW, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, f := range []*os.File{p.hostR, p.plugW, p.plugR, p.hostW} {
			f.Close()
		}
	})
	return &p
}

// TestOrphanGuard: once the host's ends of the pipes close, a plugin that
// goes on running is ended by its default connection's guard, after
// OrphanGrace; with KeepRunningWithoutHost it runs on. Both transports
// the host uses: inherited descriptors (the plugin's read end reports the
// hang-up) and pipes reopened through /proc (where only the write end
// does: Linux reports no hang-up on a pipe reopened after its writer was).
func TestOrphanGuard(t *testing.T) {
	for _, transport := range []string{"inherited", "procfs"} {
		for _, mode := range []string{"guard", "keep"} {
			t.Run(transport+"/"+mode, func(t *testing.T) {
				t.Parallel()
				p := newHostPipes(t)
				exe, err := os.Executable()
				if err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(exe)
				cmd.Env = append(os.Environ(), orphanEnv+"="+mode)
				switch transport {
				case "inherited":
					cmd.ExtraFiles = []*os.File{p.plugR, p.plugW}
					cmd.Args = append(cmd.Args, "--host-file", "fd://3", "--host-file", "fd://4")
				case "procfs":
					pid := os.Getpid()
					cmd.Args = append(cmd.Args, "--host-file", fmt.Sprintf("file:///proc/%d/fd/%d", pid, p.plugR.Fd()),
						"--host-file", fmt.Sprintf("file:///proc/%d/fd/%d", pid, p.plugW.Fd()))
				}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				lines := bufio.NewScanner(out)
				if !lines.Scan() || lines.Text() != "ready" {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("plugin did not start: %q, stderr %s", lines.Text(), stderr.String())
				}
				// The host's end: every descriptor of the pipes the test
				// holds (the plugin has its own by now).
				for _, f := range []*os.File{p.hostR, p.plugW, p.plugR, p.hostW} {
					f.Close()
				}
				var rest []string
				go func() {
					for lines.Scan() {
						rest = append(rest, lines.Text())
					}
					exited <- cmd.Wait()
				}()
				var werr error
				select {
				case werr = <-exited:
				case <-time.After(time.Minute):
					cmd.Process.Kill()
					<-exited
					t.Fatal("the plugin outlived its host by a minute")
				}
				var exit *exec.ExitError
				switch mode {
				case "guard":
					if !errors.As(werr, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "host's end of the connection closed") {
						t.Errorf("orphaned plugin: %v, stderr %q; want exit status 1 and the guard's line", werr, stderr.String())
					}
					if len(rest) != 0 {
						t.Errorf("the guard let the plugin run its course: %q", rest)
					}
				case "keep":
					if werr != nil || len(rest) != 1 || rest[0] != "still running" {
						t.Errorf("plugin that opted out: %v, stdout %q, stderr %q; want it to run its course", werr, rest, stderr.String())
					}
				}
			})
		}
	}
}

// The guard's copies of the descriptors do not keep the plugin's stream
// open: after CloseWrite (and after Close) the host reads its end at once.
func TestOrphanGuardLetsTheStreamClose(t *testing.T) {
	for _, end := range []string{"CloseWrite", "Close"} {
		t.Run(end, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			p := newHostPipes(t)
			c := service.NewClient(p.plugR, p.plugW)
			if err := c.ExitWithoutHost(time.Hour); err != nil {
				t.Fatal(err)
			}
			eof := make(chan error, 1)
			go func() {
				_, err := io.Copy(io.Discard, p.hostR) // the hello, then the end
				eof <- err
			}()
			if end == "CloseWrite" {
				c.CloseWrite()
			} else {
				c.Close()
			}
			select {
			case err := <-eof:
				if err != nil {
					t.Errorf("reading the plugin's stream: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("no end of the plugin's stream 10 s after %s: the guard holds it open", end)
			}
			c.Close()
		})
	}
}

// The guard fires when the host's end closes, but not when the host
// closes its stream because the plugin asked to leave (Leave stops it).
func TestOrphanGuardAndLeave(t *testing.T) {
	for _, leave := range []bool{false, true} {
		t.Run(fmt.Sprintf("leave=%v", leave), func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			p := newHostPipes(t)
			served := make(chan error, 1)
			go func() { served <- host.Serve(context.Background(), registry.New(), p.hostR, p.hostW) }()
			c := service.NewClient(p.plugR, p.plugW)
			defer func() {
				c.Close()
				p.hostW.Close()
				<-served
			}()
			fired := make(chan time.Duration, 1)
			const grace = 100 * time.Millisecond
			if err := service.GuardOrphan(c, grace, func(gone time.Duration) { fired <- gone }); err != nil {
				t.Fatal(err)
			}
			if leave {
				if err := c.Leave(context.Background(), "done"); err != nil {
					t.Fatal(err)
				}
				// The host closes its stream to the plugin: a hang-up the
				// guard must not take for the host's end.
				select {
				case gone := <-fired:
					t.Errorf("the guard fired %v after the host closed the stream of a plugin that left", gone)
				case <-time.After(10 * grace):
				}
				return
			}
			p.hostW.Close() // the host's end, as when it exits
			select {
			case gone := <-fired:
				if gone < grace {
					t.Errorf("the guard fired %v after the host's end closed, before its grace of %v", gone, grace)
				}
			case <-time.After(30 * time.Second):
				t.Error("the guard did not fire 30 s after the host's end closed")
			}
		})
	}
}
