//go:build linux

package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
)

// mixedDrainTimeout is the host's drain bound in the misbehaving services
// case: how long Serve waits for the stuck services once the plugin is gone.
const mixedDrainTimeout = 300 * time.Millisecond

// TestPanickingAndBlockingServices runs a plugin that hammers the host with
// calls: a third to a service that panics, which must fail with
// ErrServicePanic; one in thirty, with a short deadline, to a service that
// blocks forever deaf to its context, whose caller must get its deadline
// error; the rest to add, which must all succeed. Once the plugin exits,
// the host must report the stuck calls after its drain timeout. Another
// plugin is served all along.
func TestPanickingAndBlockingServices(t *testing.T) {
	checkLeaks(t)
	plug := testPlugin(t)
	s := newHostState()
	t.Cleanup(s.releaseStuck)
	s.openGate()
	tr := newTracker(2)
	start := time.Now()
	e := startExec(t, runs(plug, commandOf(t, plug, "mixed"), commandOf(t, plug, "bystander")),
		pluginexec.WithExecParallelism(2), tr.option(),
		host.Bind(s.registry(), host.WithServeOptions(host.WithDrainTimeout(mixedDrainTimeout))))

	end := tr.wait(t, 120*time.Second)
	if end.cmd != "mixed" {
		t.Fatalf("run %q ended first (%v), before the mixed plugin's", end.cmd, end.err)
	}
	took := end.at.Sub(start)
	served := s.echoed.Load()
	waitFor(t, 30*time.Second, "100 bystander calls", func() bool { return s.echoed.Load() >= 100 })
	s.stop.Store(true)
	if other := tr.wait(t, 30*time.Second); other.err != nil {
		t.Errorf("the bystander's run failed: %v", other.err)
	}
	err := e.wait(t, 30*time.Second)
	stuck := s.stuck.Load()
	s.releaseStuck()

	var res mixedResult
	var ok bool
	for _, line := range strings.Split(e.stdout.String(), "\n") {
		if strings.HasPrefix(line, "{") {
			ok = json.Unmarshal([]byte(line), &res) == nil
		}
	}
	if !ok {
		t.Fatalf("the mixed plugin printed no report: stdout %q", e.stdout.String())
	}
	const calls = mixedGoroutines * mixedPerG
	wantPanics, wantStuck := calls/3, calls/mixedStuckEvery
	if res.Panics != wantPanics || res.Deadlines != wantStuck || res.Sums != calls-wantPanics-wantStuck || res.BadCount != 0 {
		t.Errorf("the mixed plugin saw %d panics, %d deadlines, %d right sums and %d bad outcomes %q; want %d, %d, %d and 0",
			res.Panics, res.Deadlines, res.Sums, res.BadCount, res.Bad, wantPanics, wantStuck, calls-wantPanics-wantStuck)
	}
	if stuck != int64(wantStuck) {
		t.Errorf("%d stuck calls reached the host, want %d", stuck, wantStuck)
	}

	// The plugin exited 0; its run fails because the host could not drain
	// the stuck calls, and says so.
	var ee *pluginexec.ExitError
	msg := ""
	if end.err != nil {
		msg = end.err.Error()
	}
	if errors.As(end.err, &ee) || !strings.Contains(msg, plug.Path()) || !strings.Contains(msg, "faults.stuck") ||
		!strings.Contains(msg, "still running") || !strings.Contains(msg, fmt.Sprintf("host: %d calls [", wantStuck)) {
		t.Errorf("the mixed plugin's run returned %v; want the host's report of the %d stuck faults.stuck calls, naming the plugin, and no exit error", end.err, wantStuck)
	}
	if err == nil || strings.Contains(err.Error(), "[bystander]") {
		t.Errorf("Exec returned %v, want the mixed run's error only", err)
	}
	reportAfter := end.at.Sub(time.Unix(0, res.ExitAt))
	t.Logf("the mixed plugin's run error: %v", end.err)
	t.Logf("FIGURE misbehaving-services: %d calls (%d panics, %d deadlines, %d sums) in %s; worst deadline overshoot %s; %d stuck calls reported %s after the plugin exited (drain timeout %s); the other plugin made %d verified calls meanwhile",
		calls, res.Panics, res.Deadlines, res.Sums, ms(took), ms(time.Duration(res.MaxOvershot)), stuck, ms(reportAfter), mixedDrainTimeout, served)
}
