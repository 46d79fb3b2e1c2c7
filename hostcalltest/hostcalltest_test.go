package hostcalltest_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/hostcalltest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

func TestNewClient(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	canceled := make(chan error, 1)
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	reg.AddService("calc", "wait", func(ctx context.Context) error {
		<-ctx.Done()
		canceled <- ctx.Err()
		return ctx.Err()
	})
	c := hostcalltest.NewClient(t, reg)
	var add func(a, b int) (int, error)
	if err := c.GetService("calc", "add", &add); err != nil {
		t.Fatal(err)
	}
	if n, err := add(20, 22); n != 42 || err != nil {
		t.Errorf("add(20, 22) = %d, %v", n, err)
	}
	// A deadline travels to the host, whose service sees its context end.
	var wait func(ctx context.Context) error
	c.GetService("calc", "wait", &wait)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait = %v, want a deadline error", err)
	}
	select {
	case err := <-canceled:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the service's context ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the service's context did not end within 10s of the call's deadline")
	}
}

// A protocol 1 client and a host with a small frame limit: the options
// reach each end.
func TestNewClientOptions(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	reg := registry.New()
	reg.AddService("calc", "echo", func(s string) string { return s })
	c := hostcalltest.NewClient(t, reg,
		hostcalltest.WithClientOptions(service.WithProtocol1()),
		hostcalltest.WithServeOptions(host.WithMaxFrameSize(4096)))
	var echo func(s string) (string, error)
	c.GetService("calc", "echo", &echo)
	if s, err := echo("hi"); s != "hi" || err != nil {
		t.Errorf("echo(hi) = %q, %v", s, err)
	}
	if c.Protocol() != 1 {
		t.Errorf("a client told to speak protocol 1 speaks %d", c.Protocol())
	}
	if _, err := echo(strings.Repeat("x", 5000)); !errors.Is(err, service.ErrTooLarge) {
		t.Errorf("a request over the host's 4096-byte limit: %v, want ErrTooLarge", err)
	}
}

// A service that outlives the host's drain timeout is a serving failure:
// NewClient's cleanup reports it.
func TestNewClientReportsServeErrors(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	reg := registry.New()
	reg.AddService("calc", "stuck", func() { close(started); <-release })
	st := &stubT{}
	c := hostcalltest.NewClient(st, reg, hostcalltest.WithServeOptions(host.WithDrainTimeout(10*time.Millisecond)))
	var stuck func() error
	c.GetService("calc", "stuck", &stuck)
	go stuck()
	<-started
	st.end()
	if len(st.failures) != 1 || !strings.Contains(st.failures[0], "the host's Serve") {
		t.Errorf("failures at cleanup: %q, want the host's Serve error", st.failures)
	}
}

// hostSide is a host registry for the kv plugin, with what its audit.log
// saw.
func hostSide() (*registry.Registry, chan string) {
	audited := make(chan string, 10)
	reg := registry.New()
	reg.AddService("audit", "log", func(k string) { audited <- k })
	return reg, audited
}

// checkKV runs calls both ways through a kv plugin.
func checkKV(t *testing.T, p *hostcalltest.Plugin, audited chan string) {
	t.Helper()
	var put func(ctx context.Context, k, v string) error
	var get func(ctx context.Context, k string) (string, error)
	if err := p.GetService("kv", "put", &put); err != nil {
		t.Fatal(err)
	}
	if err := p.Client().GetService("kv", "get", &get); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := put(ctx, "a", "1"); err != nil {
		t.Fatalf("put: %v", err)
	}
	if k := <-audited; k != "a" {
		t.Errorf("the plugin's call back to the host logged %q, want a", k)
	}
	if v, err := get(ctx, "a"); v != "1" || err != nil {
		t.Errorf("get(a) = %q, %v", v, err)
	}
	if _, err := get(ctx, "b"); !errors.Is(err, service.ErrServiceError) || !strings.Contains(err.Error(), `no key "b"`) {
		t.Errorf("get(b) = %v, want the plugin's own error", err)
	}
}

func TestStartFunc(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	reg, audited := hostSide()
	started, canceled := make(chan struct{}), make(chan error, 1)
	p := hostcalltest.StartFunc(t, reg, func(ctx context.Context, c *service.Client) error {
		kv := kvRegistry(c)
		kv.AddService("kv", "wait", func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			canceled <- ctx.Err()
			return ctx.Err()
		})
		return c.Serve(ctx, kv)
	})
	checkKV(t, p, audited)
	// The host's cancel reaches the plugin's service.
	var wait func(ctx context.Context) error
	p.GetService("kv", "wait", &wait)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- wait(ctx) }()
	<-started
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled call: %v", err)
	}
	select {
	case err := <-canceled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the plugin's service saw its context end with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the host's cancel did not reach the plugin's service within 10s")
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v, want nil: the plugin's Serve returns nil when the host's stream ends", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
	var get func(k string) (string, error)
	p.GetService("kv", "get", &get)
	if _, err := get("a"); !errors.Is(err, service.ErrClosed) {
		t.Errorf("a call after Stop: %v, want ErrClosed", err)
	}
}

// A plugin func that does not return when the host's stream ends is
// canceled, and Stop says so.
func TestStartFuncStopCancels(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	reg, _ := hostSide()
	var wg sync.WaitGroup
	defer wg.Wait()
	p := hostcalltest.StartFunc(t, reg, func(ctx context.Context, c *service.Client) error {
		wg.Add(1)
		go func() { defer wg.Done(); c.Serve(ctx, kvRegistry(c)) }()
		<-ctx.Done()
		return ctx.Err()
	})
	if err := p.Stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop = %v, want the func's own context.Canceled", err)
	}
}

// A plugin func that returns before it serves fails StartFunc; one that
// fails later fails the test at cleanup.
func TestStartFuncFailures(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	reg, _ := hostSide()
	st := &stubT{}
	fatal := catchFatal(func() {
		hostcalltest.StartFunc(st, reg, func(ctx context.Context, c *service.Client) error {
			return errors.New("no config")
		})
	})
	st.end()
	if !fatal || len(st.failures) != 1 || !strings.Contains(st.failures[0], "ended before it served: no config") {
		t.Errorf("fatal %v, failures %q; want StartFunc to fail with the func's error", fatal, st.failures)
	}

	st = &stubT{}
	hostcalltest.StartFunc(st, reg, func(ctx context.Context, c *service.Client) error {
		if err := c.Serve(ctx, kvRegistry(c)); err != nil {
			return err
		}
		return errors.New("could not save")
	})
	st.end()
	if len(st.failures) != 1 || !strings.Contains(st.failures[0], "could not save") {
		t.Errorf("failures at cleanup: %q, want the func's error", st.failures)
	}
}

// catchFatal runs f, reporting whether it stopped at a stubT's Fatalf.
func catchFatal(f func()) (fatal bool) {
	defer func() {
		if r := recover(); r != nil {
			s, _ := r.(string)
			if !strings.HasPrefix(s, "Fatalf: ") {
				panic(r)
			}
			fatal = true
		}
	}()
	f()
	return false
}

func TestStartPlugin(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	for name, bind := range map[string]host.BindOption{
		"default":   nil,
		"inherited": host.WithInheritedPipes(),
	} {
		t.Run(name, func(t *testing.T) {
			reg, audited := hostSide()
			p := hostcalltest.StartPlugin(t, kvPlugin, reg, hostcalltest.WithCommand("serve"), hostcalltest.WithBindOptions(bind))
			checkKV(t, p, audited)
			if err := p.Stop(); err != nil {
				t.Errorf("Stop: %v, want nil: the plugin exits 0 when the host's stream ends", err)
			}
		})
	}
}

// A plugin that exits before it serves fails StartPlugin, with its exit
// status and stderr.
func TestStartPluginExitsFirst(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	reg, _ := hostSide()
	st := &stubT{}
	fatal := catchFatal(func() { hostcalltest.StartPlugin(st, kvPlugin, reg, hostcalltest.WithCommand("fail")) })
	st.end()
	if !fatal || len(st.failures) != 1 || !strings.Contains(st.failures[0], "exit status 3") || !strings.Contains(st.failures[0], "failing as asked") {
		t.Errorf("fatal %v, failures %q; want the exit status and stderr", fatal, st.failures)
	}
	st = &stubT{}
	fatal = catchFatal(func() { hostcalltest.StartPlugin(st, kvPlugin, reg) })
	st.end()
	if !fatal || len(st.failures) != 1 || !strings.Contains(st.failures[0], "3 commands") {
		t.Errorf("fatal %v, failures %q; want a plugin with 3 commands refused without WithCommand", fatal, st.failures)
	}
}

func TestRunPlugin(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	dir := t.TempDir()
	out := hostcalltest.RunPlugin(t, kvPlugin, reg, hostcalltest.WithCommand("add"), hostcalltest.WithArgs("1", "2"),
		hostcalltest.WithBindOptions(host.WithNamedPipes(dir, dir)))
	if out.Stdout != "3\n" || out.Err != nil {
		t.Errorf("add 1 2: %+v", out)
	}
	out = hostcalltest.RunPlugin(t, kvPlugin, reg, hostcalltest.WithCommand("fail"))
	var ee *pluginexec.ExitError
	if !errors.As(out.Err, &ee) || ee.ExitCode != 3 || !strings.Contains(out.Stderr, "failing as asked") {
		t.Errorf("fail: %+v, want exit status 3 and the stderr line", out)
	}
	// Without the services it needs, the plugin's call fails: it says so.
	out = hostcalltest.RunPlugin(t, kvPlugin, registry.New(), hostcalltest.WithCommand("add"), hostcalltest.WithArgs("1", "2"))
	if !errors.As(out.Err, &ee) || ee.ExitCode != 1 || !strings.Contains(out.Stderr, "unknown namespace") {
		t.Errorf("add against an empty registry: %+v", out)
	}
}

func TestCheckLeaksFindsGoroutines(t *testing.T) {
	defer hostcalltest.SetLeakGrace(50 * time.Millisecond)()
	st := &stubT{}
	hostcalltest.CheckLeaks(st)
	release := make(chan struct{})
	done := make(chan struct{})
	go func() { leakyGoroutine(release); close(done) }()
	st.end()
	close(release)
	<-done
	if len(st.failures) != 1 || !strings.Contains(st.failures[0], "1 goroutines") || !strings.Contains(st.failures[0], "leakyGoroutine") {
		t.Errorf("failures: %q, want the leaked goroutine's stack", st.failures)
	}
	// Once it has ended, nothing is reported.
	st = &stubT{}
	hostcalltest.CheckLeaks(st)
	go func() {}()
	st.end()
	if len(st.failures) != 0 {
		t.Errorf("failures: %q, want none", st.failures)
	}
}

func leakyGoroutine(release chan struct{}) { <-release }

func TestCheckLeaksFindsProcesses(t *testing.T) {
	defer hostcalltest.SetLeakGrace(50 * time.Millisecond)()
	st := &stubT{}
	hostcalltest.CheckLeaks(st)
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	st.end()
	cmd.Process.Kill()
	cmd.Wait()
	if runtimeHasProc() {
		if len(st.failures) != 1 || !strings.Contains(st.failures[0], "sleep 60") {
			t.Errorf("failures: %q, want the sleep process", st.failures)
		}
	}
	// An exited child nobody waited for is a zombie: a leak too.
	st = &stubT{}
	hostcalltest.CheckLeaks(st)
	cmd = exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	st.end()
	cmd.Wait()
	if runtimeHasProc() {
		if len(st.failures) != 1 || !strings.Contains(st.failures[0], "state Z") {
			t.Errorf("failures: %q, want the zombie", st.failures)
		}
	}
}
