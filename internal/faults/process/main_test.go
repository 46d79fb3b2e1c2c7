//go:build linux

package process

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
)

// Environment of the helper processes.
const (
	roleEnv     = "HOSTCALL_FAULTS_ROLE"     // "plugin" or "host"
	dirEnv      = "HOSTCALL_FAULTS_DIR"      // where the host-killed case's processes leave files
	stayEnv     = "HOSTCALL_FAULTS_STAY"     // "1": the pending plugin does not exit on its own
	executorEnv = "HOSTCALL_FAULTS_EXECUTOR" // the host process's executor: "default" or "no-pdeathsig"
	callsEnv    = "HOSTCALL_FAULTS_CALLS"    // how many calls the hold and saturate plugins make
	noRaceSleep = "GORACE=atexit_sleep_ms=0" // spares each race-enabled child a 1 s sleep at exit
)

// subreaper reports whether the test process adopts the orphans of its
// descendants (PR_SET_CHILD_SUBREAPER), so that a plugin whose host was
// killed becomes the test's child: the test can wait for it, see how it
// ended and be sure it is gone.
var subreaper bool

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "plugin":
		os.Exit(pluginMain(os.Args[1:]))
	case "host":
		os.Exit(hostMain())
	case spawnRole:
		os.Exit(spawnMain(os.Args[1:]))
	case grandchildRole:
		os.Exit(grandchildMain())
	case credentialRole:
		os.Exit(credentialMain())
	case "fifo-host":
		os.Exit(fifoHostMain()) // stale_fifo_test.go
	case "isolation-plugin":
		os.Exit(isolationPluginMain(os.Args[1:])) // isolation_test.go
	case memoryHostRole:
		os.Exit(memoryHostMain()) // memory_test.go
	case memoryPluginRole:
		os.Exit(memoryPluginMain(os.Args[1:])) // memory_test.go
	}
	subreaper = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == nil
	warmUp()
	os.Exit(m.Run())
}

// warmUp makes the runtime open the descriptors it keeps for the life of
// the process (the network poller's), so that the descriptor counts the
// tests compare are not skewed by the first test to use a pipe.
func warmUp() {
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	r.SetReadDeadline(time.Now())
	r.Close()
	w.Close()
}

// manifest lists the test plugin's commands; each command's type is its
// name, so a test runs one with IterateTyped or commandOf.
var manifest = pluginexec.Manifest{
	Name:    "faults",
	Version: "1.0.0",
	Commands: []pluginexec.Command{
		{Path: []string{"hold"}, Type: "hold"},           // 1000 calls that block until canceled
		{Path: []string{"bystander"}, Type: "bystander"}, // echo calls until the host says stop
		{Path: []string{"echo"}, Type: "echo"},           // 1000 verified echo calls
		{Path: []string{"pending"}, Type: "pending"},     // 1000 blocked calls, results to a file
		{Path: []string{"stall"}, Type: "stall"},         // calls, never reading the responses
		{Path: []string{"mixed"}, Type: "mixed"},         // panicking, stuck and normal calls
		{Path: []string{"saturate"}, Type: "saturate"},   // calls over the in-flight bound, canceled on SIGUSR1
	},
}

// pluginEnv is the environment every plugin run gets.
var pluginEnv = pluginexec.WithEnv(roleEnv+"=plugin", noRaceSleep)

// testPlugin describes the test binary as a plugin.
func testPlugin(t *testing.T) *pluginexec.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pluginexec.NewPlugin(context.Background(), exe, pluginEnv)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// commandOf returns the plugin's command of type typ.
func commandOf(t *testing.T, p *pluginexec.Plugin, typ string) *pluginexec.Command {
	t.Helper()
	for i := range p.Commands {
		if p.Commands[i].Type == typ {
			return &p.Commands[i]
		}
	}
	t.Fatalf("the test plugin has no command %q", typ)
	return nil
}

// runs yields each of pairs in order: an ExecIterator over explicit runs.
func runs(p *pluginexec.Plugin, cmds ...*pluginexec.Command) pluginexec.ExecIterator {
	return func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) {
		for _, c := range cmds {
			if !yield(p, c) {
				return
			}
		}
	}
}

// runEnd is how one plugin run ended, seen from the host.
type runEnd struct {
	cmd string
	err error
	at  time.Time
}

// tracker records the end of every run, through an interceptor. Given
// before host.Bind, it wraps the whole run, the host's teardown of the
// connection included.
type tracker struct {
	ended chan runEnd
}

func newTracker(n int) *tracker { return &tracker{ended: make(chan runEnd, n)} }

func (tr *tracker) option() pluginexec.ExecOption {
	return pluginexec.WithExecInterceptor(func(ctx context.Context, p *pluginexec.Plugin, c *pluginexec.Command,
		next func(context.Context, ...pluginexec.ExecOption) error) error {
		err := next(ctx)
		tr.ended <- runEnd{cmd: strings.Join(c.Path, " "), err: err, at: time.Now()}
		return err
	})
}

// wait returns the end of the next run to end, failing t after timeout.
func (tr *tracker) wait(t *testing.T, timeout time.Duration) runEnd {
	t.Helper()
	select {
	case e := <-tr.ended:
		return e
	case <-time.After(timeout):
		t.Fatalf("watchdog: no plugin run ended within %v", timeout)
		return runEnd{}
	}
}

// execution is an Exec call running in the background.
type execution struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	stdout hosttest.SyncBuffer
	stderr hosttest.SyncBuffer
}

// startExec runs Exec in the background with the plugins' stdout and
// stderr captured. At cleanup (before the leak checks, which were
// registered earlier) it cancels the run and waits for Exec to return.
func startExec(t *testing.T, rng pluginexec.ExecRange, opts ...pluginexec.ExecOption) *execution {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := &execution{cancel: cancel, done: make(chan struct{})}
	opts = append([]pluginexec.ExecOption{
		pluginEnv,
		pluginexec.WithStdout(&e.stdout),
		pluginexec.WithStderr(&e.stderr),
	}, opts...)
	go func() {
		defer close(e.done)
		e.err = pluginexec.Exec(ctx, rng, nil, opts...)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-e.done:
		case <-time.After(30 * time.Second):
			t.Errorf("watchdog: Exec still running 30s after its context was canceled")
		}
		if t.Failed() {
			t.Logf("plugins' stderr:\n%s", e.stderr.String())
		}
	})
	return e
}

// wait waits for Exec to return and returns its error.
func (e *execution) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-e.done:
		return e.err
	case <-time.After(timeout):
		t.Fatalf("watchdog: Exec still running after %v", timeout)
		return nil
	}
}

// waitFor polls cond every few milliseconds until it holds, failing t
// with what when it does not within timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("watchdog: %s: not within %v", what, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ms formats d in milliseconds, for FIGURE lines.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
