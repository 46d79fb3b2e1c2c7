//go:build linux

package process

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
)

// TestCancelAtInFlightBound makes more calls than the host's in-flight
// bound to a service that returns once its context is canceled, then
// cancels them all while staying connected: every running service must see
// its context canceled.
//
// The host once stopped reading at the bound, so these cancel frames were
// never read and the slots never freed; calls beyond the bound now wait in
// a read-ahead queue while the reader goes on.
func TestCancelAtInFlightBound(t *testing.T) {
	checkLeaks(t)
	plug := testPlugin(t)
	s := newHostState()
	s.holdTarget = host.DefaultMaxInFlight
	e := startExec(t, runs(plug, commandOf(t, plug, "saturate")), host.Bind(s.registry()),
		pluginexec.WithEnv(callsEnv+"="+strconv.Itoa(host.DefaultMaxInFlight+100)))
	var pid int
	select {
	case pid = <-s.pids:
	case <-time.After(60 * time.Second):
		t.Fatal("watchdog: the plugin did not say hello within 60s")
	}
	select {
	case <-s.holdAllRunning:
	case <-time.After(60 * time.Second):
		t.Fatalf("watchdog: %d of %d calls running after 60s", s.holdRunning.Load(), s.holdTarget)
	}
	at := time.Now()
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.holdAllCanceled:
		t.Logf("FIGURE cancel-at-bound: %d running calls canceled %s after the plugin canceled them", s.holdTarget, ms(s.holdCanceledAt.Sub(at)))
	case <-time.After(5 * time.Second):
		t.Errorf("5s after the plugin canceled its %d calls (connected still), %d of the %d running services saw their context canceled",
			host.DefaultMaxInFlight+100, s.holdCanceled.Load(), s.holdRunning.Load())
	}
	e.cancel()
	e.wait(t, 30*time.Second)
}
