package host_test

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
)

// serve runs Serve on fresh pipes and returns them with a channel that
// receives Serve's result.
func serve(t *testing.T, reg *registry.Registry, ctx context.Context, opts ...host.ServeOption) (*hosttest.Pipes, <-chan error, *bufio.Reader) {
	t.Helper()
	hosttest.CheckGoroutines(t)
	p := hosttest.NewPipes(t)
	served := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		served <- host.Serve(ctx, reg, p.HostR, p.HostW, opts...)
	}()
	t.Cleanup(func() {
		p.PluginW.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return within 10s of the plugin closing its stream")
		}
	})
	return p, served, bufio.NewReader(p.PluginR)
}

func readLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		l, _ := br.ReadString('\n')
		got <- strings.TrimSuffix(l, "\n")
	}()
	select {
	case l := <-got:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no response within 10s")
		return ""
	}
}

func TestInFlightBoundGivesBackpressure(t *testing.T) {
	release := make(chan struct{})
	var running, peak atomic.Int32
	reg := registry.New()
	reg.AddService("t", "block", func() {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
	})
	p, _, br := serve(t, reg, context.Background(), host.WithMaxInFlight(3))
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(p.PluginW, `{"sequence":%d,"type":"call","namespace":"t","name":"block"}`+"\n", i)
	}
	// The host reads until three calls run, then stops reading.
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := running.Load(); n != 3 {
		t.Fatalf("%d calls running, want 3", n)
	}
	close(release)
	seen := map[string]bool{}
	for i := 0; i < 10; i++ {
		seen[readLine(t, br)] = true
	}
	for i := 1; i <= 10; i++ {
		if l := fmt.Sprintf(`{"sequence":%d,"reply":[]}`, i); !seen[l] {
			t.Errorf("missing response %s", l)
		}
	}
	if pk := peak.Load(); pk != 3 {
		t.Errorf("at most %d calls ran at once, want exactly the bound 3", pk)
	}
}

func TestServeReturnsAfterDrainBound(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	reg := registry.New()
	reg.AddService("t", "stubborn", func() { close(started); <-release }) // ignores every context
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	p, served, _ := serve(t, reg, ctx, host.WithDrainTimeout(100*time.Millisecond))
	fmt.Fprintf(p.PluginW, `{"sequence":1,"type":"call","namespace":"t","name":"stubborn"}`+"\n")
	<-started
	cancel()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "t.stubborn (sequence 1)") || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("Serve returned %v, want the context's error and one naming the call still running", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5s of its context ending")
	}
}

func TestServeStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, served, _ := serve(t, hosttest.Registry(), ctx)
	cancel()
	select {
	case err := <-served:
		if err != context.Canceled {
			t.Errorf("Serve returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5s of its context ending")
	}
}
