package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

func lookupSystem(t *testing.T, name string) System {
	t.Helper()
	for _, s := range Systems {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no system %q", name)
	return System{}
}

// TestRunHostcall builds the hostcall binaries and runs both directions on
// every workload, briefly, through runOne as benchrun does: real host and
// plugin processes, every reply checked by the harness.
func TestRunHostcall(t *testing.T) {
	dir, err := findBenchDir()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	systems := []System{lookupSystem(t, "hostcall"), lookupSystem(t, "hostcall-h2p")}
	if err := build(dir, bin, systems); err != nil {
		t.Fatal(err)
	}
	c := &config{warmup: 20 * time.Millisecond, duration: 100 * time.Millisecond}
	for _, s := range systems {
		for _, w := range harness.Workloads {
			t.Run(s.Name+"/"+w.Name, func(t *testing.T) {
				r, err := runOne(bin, s, w, c, filepath.Join(t.TempDir(), "result.json"))
				if err != nil {
					t.Fatal(err)
				}
				if r.Workload != w.Name || r.Ops <= 0 || r.OpsPerSec <= 0 {
					t.Errorf("result %+v: want calls of %s", r, w.Name)
				}
				if r.HostHWMKiB <= 0 || r.PluginHWMKiB <= 0 {
					t.Errorf("peak RSS host %d KiB, plugin %d KiB: want both", r.HostHWMKiB, r.PluginHWMKiB)
				}
				// Each side allocates while it makes or answers calls.
				if r.HostMallocs == 0 || r.PluginMallocs == 0 {
					t.Errorf("allocations host %d, plugin %d: want both counted", r.HostMallocs, r.PluginMallocs)
				}
				if r.Note != "protocol 2" {
					t.Errorf("note %q, want protocol 2", r.Note)
				}
			})
		}
	}

	// A run the host cannot measure fails with the reason, and stops its
	// plugin (runOne returns once the host has exited, and the host once
	// its plugin has).
	h2p := lookupSystem(t, "hostcall-h2p")
	_, err = runOne(bin, h2p, harness.Workload{Name: "nope"}, c, filepath.Join(t.TempDir(), "result.json"))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("unknown workload %q", "nope")) {
		t.Fatalf("unknown workload: got %v", err)
	}
}
