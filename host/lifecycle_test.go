//go:build linux

package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

// startTwoWay starts the two-way plugin's command with extra options.
func startTwoWay(t *testing.T, ctx context.Context, h *hostSide, command string, opts ...host.BindOption) *host.Running {
	t.Helper()
	p, err := host.Start(ctx, twoWayPlugin(t), h.reg, append([]host.BindOption{host.WithCommand(command), host.WithExecOptions(twoWayEnvs)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.plugin.Store(p)
	return p
}

// watchdog fails the test when ch is not closed or fed within d: a
// liveness check, not a timing.
func within[T any](t *testing.T, what string, d time.Duration, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %v", what, d)
		panic("unreachable")
	}
}

func TestPingBothWays(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := newHostSide()
	p := startTwoWay(t, ctx, h, "serve")
	defer p.Stop(ctx)
	if err := p.Ping(ctx); err != nil {
		t.Fatalf("host pings the plugin: %v", err)
	}
	var pingHost func(context.Context) error
	p.GetService("kv", "pinghost", &pingHost)
	if err := pingHost(ctx); err != nil {
		t.Fatalf("the plugin pings the host: %v", err)
	}
}

// A ping is answered on the reader, ahead of the calls that wait for a
// slot: a plugin whose every slot is busy still answers it.
func TestPingAnsweredWhileSlotsAreBusy(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := newHostSide()
	p := startTwoWay(t, ctx, h, "serve")
	defer p.Stop(ctx)
	var hold func(context.Context) error
	p.GetService("kv", "hold", &hold)
	bctx, bcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := 0; i < 1100; i++ { // over the plugin's in-flight bound: some queue
		wg.Add(1)
		go func() { defer wg.Done(); hold(bctx) }()
	}
	defer wg.Wait()
	defer bcancel()
	// Every slot is taken before the ping is sent: a ping that took a
	// slot, or queued for one, would wait for the calls to end.
	for held := 0; held < host.DefaultMaxInFlight; held++ { // the plugin serves with the default bound
		within(t, fmt.Sprintf("call %d holding a slot of the plugin", held+1), 30*time.Second, h.audited)
	}
	pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
	defer pcancel()
	if err := p.Ping(pctx); err != nil {
		t.Fatalf("ping with 1100 calls blocked in the plugin: %v", err)
	}
}

// A stalled plugin (SIGSTOP: it reads nothing) fails its ping within the
// ping's deadline; once resumed it answers again.
func TestPingStalledPlugin(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := newHostSide()
	p := startTwoWay(t, ctx, h, "serve")
	defer p.Stop(ctx)
	_, n := pluginPID(t, p)
	if err := syscall.Kill(n, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// kill returns before the signal stops the process: wait until it has.
	for deadline := time.Now().Add(10 * time.Second); procState(n) != 'T'; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d not stopped 10 s after SIGSTOP (state %c)", n, procState(n))
		}
	}
	pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer pcancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Ping(pctx) }()
	err := within(t, "ping of a stopped plugin", 10*time.Second, errc)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ping of a stopped plugin = %v, want context.DeadlineExceeded", err)
	}
	if err := syscall.Kill(n, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := p.Ping(ctx); err != nil {
		t.Errorf("ping after SIGCONT: %v", err)
	}
}

// The supervisor restarts a plugin killed by a signal, with backoff, tells
// OnRestart, and the funcs GetService filled call the new process.
func TestRestartAfterKill(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := newHostSide()
	events := make(chan host.RestartEvent, 10)
	p := startTwoWay(t, ctx, h, "serve", host.WithRestart(host.RestartPolicy{
		Initial: 20 * time.Millisecond, Factor: 3, OnRestart: func(ev host.RestartEvent) { events <- ev },
	}))
	var pid func() (int, error)
	var put func(ctx context.Context, k, v string) error
	var get func(k string) (string, error)
	p.GetService("kv", "pid", &pid)
	p.GetService("kv", "put", &put)
	p.GetService("kv", "get", &get)
	for i, want := range []time.Duration{20 * time.Millisecond, 60 * time.Millisecond} {
		before, err := pid()
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(before, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		ev := within(t, "restart event", 30*time.Second, events)
		if ev.Restart != i+1 || ev.Delay != want || ev.Err != nil || !strings.Contains(ev.Exit.Error(), "killed") {
			t.Fatalf("restart %d: event %+v; want restart %d after %v, exit by SIGKILL", i+1, ev, i+1, want)
		}
		after, err := pid()
		if err != nil {
			t.Fatalf("call after restart %d: %v", i+1, err)
		}
		if after == before {
			t.Fatalf("restart %d: the plugin's pid is still %d", i+1, after)
		}
		if err := put(ctx, "k", "v"); err != nil { // calls the host back too
			t.Fatalf("put after restart %d: %v", i+1, err)
		}
		if v, err := get("k"); err != nil || v != "v" {
			t.Fatalf("get after restart %d = %q, %v", i+1, v, err)
		}
	}
	if p.Restarts() != 2 {
		t.Errorf("Restarts = %d, want 2", p.Restarts())
	}
	if err := p.Stop(ctx); err != nil {
		t.Errorf("Stop = %v, want a clean exit", err)
	}
	select {
	case ev := <-events:
		t.Errorf("a restart after Stop: %+v", ev)
	default:
	}
}

// A plugin that keeps crashing is restarted until the limit, with the
// waits growing, then Wait says ErrRestartLimit and how the last run
// ended.
func TestRestartLimit(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := newHostSide()
	var mu sync.Mutex
	var got []host.RestartEvent
	rec := hosttest.NewLogRecorder(slog.LevelInfo)
	p := startTwoWay(t, ctx, h, "crashloop", host.WithLogger(slog.New(rec)), host.WithRestart(host.RestartPolicy{
		Initial: 10 * time.Millisecond, Factor: 2, MaxRestarts: 3,
		OnRestart: func(ev host.RestartEvent) {
			mu.Lock()
			got = append(got, ev)
			mu.Unlock()
		},
	}))
	err := within(t, "supervision of a crashing plugin", time.Minute, errChan(p.Wait))
	if !errors.Is(err, host.ErrRestartLimit) || !strings.Contains(err.Error(), "exit status 7") {
		t.Fatalf("Wait = %v; want ErrRestartLimit and exit status 7", err)
	}
	if p.Restarts() != 3 {
		t.Errorf("Restarts = %d, want 3", p.Restarts())
	}
	mu.Lock()
	defer mu.Unlock()
	for i, ev := range got {
		want := 10 * time.Millisecond << i
		if ev.Restart != i+1 || ev.Delay != want || !strings.Contains(ev.Exit.Error(), "exit status 7") {
			t.Errorf("event %d: %+v; want restart %d after %v, the run before having exited 7", i, ev, i+1, want)
		}
	}
	// The events of the 3 restarts have all been delivered once Wait
	// returns, or are about to be: wait for them, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
	}
	if len(got) != 3 {
		t.Errorf("%d restart events, want 3", len(got))
	}
	// The logger was told too: each restart (or failed start), then the limit.
	var restarted, limit int
	for _, e := range rec.Entries() {
		switch e.Msg {
		case "plugin restarted", "plugin restart failed":
			restarted++
		case "plugin not restarted: restart limit reached":
			limit++
			if e.Level != slog.LevelError {
				t.Errorf("the limit logged at %v", e.Level)
			}
		}
	}
	if restarted != 3 || limit != 1 {
		t.Errorf("logged %d restarts and %d limits, want 3 and 1: %+v", restarted, limit, rec.Entries())
	}
}

// A restarted run that never serves is ended after StartTimeout and
// counts as a failed start: the supervision does not hang on it.
func TestRestartStartTimeout(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := newHostSide()
	events := make(chan host.RestartEvent, 10)
	mark := filepath.Join(t.TempDir(), "served")
	p := startTwoWay(t, ctx, h, "serveonce", host.WithExecOptions(pluginexec.WithEnv("HOSTCALL_TWOWAY_MARK="+mark)),
		host.WithRestart(host.RestartPolicy{
			Initial: time.Millisecond, MaxRestarts: 1, StartTimeout: 300 * time.Millisecond,
			OnRestart: func(ev host.RestartEvent) { events <- ev },
		}))
	_, n := pluginPID(t, p)
	syscall.Kill(n, syscall.SIGKILL)
	ev := within(t, "the failed restart's event", 30*time.Second, events)
	if ev.Restart != 1 || !errors.Is(ev.Err, context.DeadlineExceeded) {
		t.Errorf("event %+v; want restart 1 failing with its start timeout", ev)
	}
	err := within(t, "the end of the supervision", 30*time.Second, errChan(p.Wait))
	if !errors.Is(err, host.ErrRestartLimit) {
		t.Errorf("Wait = %v, want ErrRestartLimit after the failed start", err)
	}
}

// pluginPID returns p's kv.pid and the process id it answers now.
func pluginPID(t *testing.T, p *host.Running) (func() (int, error), int) {
	t.Helper()
	var pid func() (int, error)
	if err := p.GetService("kv", "pid", &pid); err != nil {
		t.Fatal(err)
	}
	n, err := pid()
	if err != nil {
		t.Fatalf("asking the plugin for its pid: %v", err)
	}
	return pid, n
}

func errChan(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// Stop during the backoff wait ends the supervision at once.
func TestStopDuringRestartBackoff(t *testing.T) {
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := newHostSide()
	p := startTwoWay(t, ctx, h, "serve", host.WithRestart(host.RestartPolicy{Initial: time.Hour}))
	pid, n := pluginPID(t, p)
	syscall.Kill(n, syscall.SIGKILL)
	// The call fails once the plugin is gone, then Stop cuts the hour short.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := pid(); errors.Is(err, service.ErrClosed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("calls still answered 30 s after SIGKILL")
		}
		time.Sleep(10 * time.Millisecond)
	}
	err := within(t, "Stop during the backoff", 10*time.Second, errChan(func() error { return p.Stop(ctx) }))
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop = %v, want the killed run's exit", err)
	}
}

// A plugin's leave notice: the host answers, closes its stream to the
// plugin (whose Serve returns, so it exits 0) and, supervised or not, does
// not restart it.
func TestLeave(t *testing.T) {
	for name, opts := range map[string][]host.BindOption{
		"plain":      nil,
		"supervised": {host.WithRestart(host.RestartPolicy{Initial: time.Millisecond})},
	} {
		t.Run(name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			h := newHostSide()
			p := startTwoWay(t, ctx, h, "serve", opts...)
			var leave func(ctx context.Context, reason string) error
			p.GetService("kv", "leave", &leave)
			if err := leave(ctx, "config removed"); err != nil {
				t.Fatalf("leave: %v", err)
			}
			within(t, "Left", 10*time.Second, p.Left())
			if got := p.LeaveReason(); got != "config removed" {
				t.Errorf("LeaveReason = %q", got)
			}
			if err := within(t, "the plugin's exit after leaving", 30*time.Second, errChan(p.Wait)); err != nil {
				t.Errorf("Wait = %v, want the clean exit of a plugin whose Serve returned", err)
			}
			if p.Restarts() != 0 {
				t.Errorf("a plugin that left was restarted %d times", p.Restarts())
			}
		})
	}
	// A plugin that exits as soon as its leave notice is answered is not
	// restarted: the host records the notice before it answers.
	t.Run("exits at once", func(t *testing.T) {
		hosttest.CheckGoroutines(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for i := 0; i < 5; i++ {
			h := newHostSide()
			p := startTwoWay(t, ctx, h, "serve", host.WithRestart(host.RestartPolicy{Initial: time.Millisecond}))
			var leave func(ctx context.Context, reason string) error
			p.GetService("kv", "leaveexit", &leave)
			leave(ctx, "done") // fails: the plugin exits before it answers
			if err := within(t, "the exit after leaving", 30*time.Second, errChan(p.Wait)); err != nil {
				t.Errorf("Wait = %v, want the plugin's exit 0", err)
			}
			if p.Restarts() != 0 || p.LeaveReason() != "done" {
				t.Fatalf("run %d: restarted %d times, reason %q: a plugin that left was restarted", i, p.Restarts(), p.LeaveReason())
			}
		}
	})
}

// A supervised plugin killed by a signal is started again, and the funcs
// filled before call the new process. (The plugin here is this test
// binary in its plugin mode, serving kv.)
func ExampleWithRestart() {
	ctx := context.Background()
	exe, _ := os.Executable()
	plug, err := pluginexec.NewPlugin(ctx, exe, pluginexec.WithEnv(twoWayEnv+"=1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	restarted := make(chan host.RestartEvent, 1)
	p, err := host.Start(ctx, plug, newHostSide().reg, host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs),
		host.WithRestart(host.RestartPolicy{
			Initial:   50 * time.Millisecond,
			OnRestart: func(ev host.RestartEvent) { restarted <- ev },
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	var pid func() (int, error)
	p.GetService("kv", "pid", &pid)
	first, _ := pid()
	syscall.Kill(first, syscall.SIGKILL)

	ev := <-restarted
	fmt.Printf("restart %d after %v, killed: %v\n", ev.Restart, ev.Delay, strings.Contains(ev.Exit.Error(), "signal: killed"))
	second, err := pid()
	fmt.Println("answered by a new process:", err == nil && second != first)
	fmt.Println("stop:", p.Stop(ctx))
	// Output:
	// restart 1 after 50ms, killed: true
	// answered by a new process: true
	// stop: <nil>
}

// procState returns the state letter of process pid (/proc/pid/stat), 0
// when it cannot be read.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')') // the command may hold spaces and parentheses
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}
