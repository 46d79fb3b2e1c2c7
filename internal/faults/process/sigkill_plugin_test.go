//go:build linux

package process

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
)

// TestPluginKilledWithCallsInFlight kills a plugin with SIGKILL while
// holdCalls of its calls run in the host, and a second plugin of the same
// Exec makes calls all along. Every service context of the killed plugin
// must be canceled, its run's error must name it and the signal, and the
// other plugin must go on being served and succeed.
//
// The last case sends more calls than the host's in-flight bound: the
// host's reader then waits for a free slot and cannot see the plugin's end
// of stream, so the contexts are canceled only by the binder's teardown,
// about 2s after the plugin is gone (see TestCancelAtInFlightBound).
func TestPluginKilledWithCallsInFlight(t *testing.T) {
	plug := testPlugin(t)
	for _, tc := range []struct {
		name    string
		named   bool
		calls   int   // calls the plugin makes
		running int64 // calls that run in the host
	}{
		{"anonymous pipes", false, holdCalls, holdCalls},
		{"named pipes", true, holdCalls, holdCalls},
		{"over the in-flight bound", false, host.DefaultMaxInFlight + 100, host.DefaultMaxInFlight},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fifoDir := checkLeaks(t)
			var bind []host.BindOption
			if tc.named {
				bind = append(bind, host.WithNamedPipes(fifoDir, fifoDir))
			}
			s := newHostState()
			s.holdTarget = tc.running
			s.openGate()
			tr := newTracker(2)
			e := startExec(t, runs(plug, commandOf(t, plug, "hold"), commandOf(t, plug, "bystander")),
				pluginexec.WithExecParallelism(2), tr.option(), host.Bind(s.registry(), bind...),
				pluginexec.WithEnv(callsEnv+"="+strconv.Itoa(tc.calls)))

			var pid int
			select {
			case pid = <-s.pids:
			case <-e.done:
				t.Fatalf("Exec returned before the plugin said hello: %v", e.err)
			case <-time.After(60 * time.Second):
				t.Fatal("watchdog: the hold plugin did not say hello within 60s")
			}
			select {
			case <-s.holdAllRunning:
			case <-time.After(60 * time.Second):
				t.Fatalf("watchdog: %d of %d hold calls running after 60s", s.holdRunning.Load(), tc.running)
			}
			waitFor(t, 30*time.Second, "the bystander's first calls", func() bool { return s.echoed.Load() >= 10 })

			inFlight := s.holdRunning.Load() - s.holdCanceled.Load()
			killAt := time.Now()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatalf("killing the plugin (pid %d): %v", pid, err)
			}
			select {
			case <-s.holdAllCanceled:
			case <-time.After(30 * time.Second):
				t.Fatalf("watchdog: 30s after the kill, %d of %d service contexts canceled", s.holdCanceled.Load(), tc.running)
			}
			canceledAfter := s.holdCanceledAt.Sub(killAt)

			end := tr.wait(t, 30*time.Second)
			if end.cmd != "hold" {
				t.Fatalf("run %q ended first (%v), before the killed plugin's", end.cmd, end.err)
			}
			failedAfter := end.at.Sub(killAt)
			var ee *pluginexec.ExitError
			switch {
			case !errors.As(end.err, &ee):
				t.Errorf("the killed plugin's run returned %v, want a *pluginexec.ExitError", end.err)
			case ee.Signal != syscall.SIGKILL || ee.Path != plug.Path() || !slices.Equal(ee.Command, []string{"hold"}):
				t.Errorf("the killed plugin's run: ExitError{Path: %q, Command: %q, Signal: %v}, want {%q, [hold], %v}",
					ee.Path, ee.Command, ee.Signal, plug.Path(), syscall.SIGKILL)
			case !strings.Contains(end.err.Error(), plug.Path()) || !strings.Contains(end.err.Error(), "killed"):
				t.Errorf("the killed plugin's run error %q does not name the plugin and the signal", end.err)
			case errors.Is(end.err, context.Canceled):
				t.Errorf("the killed plugin's run error %q claims a cancellation", end.err)
			}
			t.Logf("the killed plugin's run error: %v", end.err)

			// The other plugin is still served after the kill.
			served := s.echoed.Load()
			waitFor(t, 30*time.Second, "100 more bystander calls after the kill", func() bool { return s.echoed.Load() >= served+100 })
			s.stop.Store(true)
			err := e.wait(t, 30*time.Second)
			if !errors.As(err, &ee) || ee.Signal != syscall.SIGKILL || strings.Contains(err.Error(), "[bystander]") {
				t.Errorf("Exec returned %v, want the killed plugin's error and no other", err)
			}
			calls, ok := bystanderOK(e.stdout.String())
			if !ok || int64(calls) != s.echoed.Load() {
				t.Errorf("the bystander printed %q; want \"ok N\" with N = %d, the echo calls served", e.stdout.String(), s.echoed.Load())
			}
			t.Logf("FIGURE sigkill-plugin (%s): %d calls in flight (%d sent), all service contexts canceled %s after the kill, the run's error %s after; the other plugin made %d verified calls, %d after the contexts were canceled",
				tc.name, inFlight, tc.calls, ms(canceledAfter), ms(failedAfter), calls, int64(calls)-served)
		})
	}
}

// bystanderOK parses the bystander's "ok N" in out.
func bystanderOK(out string) (int, bool) {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "ok "); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}
