// Package provider_test builds the provider host and plugin and runs them
// as real processes: the host's demo as a user would run it, and the
// plugin with the test as the server.
package provider_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/examples/provider/providerapi"
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The host and the plugin are built once, into a directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binaries returns the paths of the built host and plugin.
func binaries(t *testing.T) (hostBin, pluginBin string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the example needs the go command, which is not on PATH")
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "provider-example-"); built.err != nil {
			return
		}
		out, err := exec.Command(gobin, "build", "-o", built.dir+string(filepath.Separator), "./host", "./plugin").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build ./host ./plugin: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, "host"), filepath.Join(built.dir, "plugin")
}

// TestHostDemo runs the host with the provider. The three power actions run
// at once, so their lines interleave in any order: the test compares the
// lines as a set, then checks the orders that must hold.
func TestHostDemo(t *testing.T) {
	hostBin, pluginBin := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a watchdog
	defer cancel()
	cmd := exec.CommandContext(ctx, hostBin, pluginBin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("host: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	want := []string{
		"configured: site lab, machines [m1 m2 m3]",
		"event machines m1 power: switching on",
		"event machines m1 power: on",
		"action power m1: on",
		"event machines m2 power: switching on",
		"event machines m2 power: on",
		"action power m2: on",
		"event machines m3 power: switching off",
		"event machines m3 power: off",
		"action power m3: off",
		`action power m4: failed: service provider.action: provider: no machine "m4" at site lab`,
		"event machines m1 erase: erasing disks",
		"event machines m1 canceled: erase stopped: context canceled", // the plugin saw ctx.Done()
		"action erase m1: canceled by the host",
		"stopped",
	}
	if diff := cmp.Diff(sorted(want), sorted(lines)); diff != "" {
		t.Fatalf("the host's lines (-want +got):\n%s\nall of them:\n%s", diff, stdout.String())
	}
	inOrder := [][]string{
		{want[0], want[1], want[2], want[3], want[10]}, // per machine: config, events, result; m4 after all three
		{want[0], want[4], want[5], want[6], want[10]},
		{want[0], want[7], want[8], want[9], want[10]},
		{want[10], want[11], want[12], want[13], want[14]}, // the erase, its cancel, then the stop
	}
	for _, seq := range inOrder {
		for i := 1; i < len(seq); i++ {
			if slices.Index(lines, seq[i-1]) > slices.Index(lines, seq[i]) {
				t.Errorf("%q came after %q; the host printed:\n%s", seq[i-1], seq[i], stdout.String())
			}
		}
	}
	wantStderr := []string{
		"provider info: configured for site lab: 3 machines",
		"provider info: m1 is on",
		"provider info: m2 is on",
		"provider info: m3 is off",
		"provider warn: m1: erase stopped half-way",
		"[provider] provider: stopped after 5 actions", // its own stderr, once stopped
	}
	gotStderr := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if diff := cmp.Diff(sorted(wantStderr), sorted(gotStderr)); diff != "" {
		t.Errorf("the host's stderr (-want +got):\n%s", diff)
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestTheTestIsTheServer starts the provider with the test as the server.
func TestTheTestIsTheServer(t *testing.T) {
	_, pluginBin := binaries(t)
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a watchdog
	defer cancel()
	plug, err := pluginexec.NewPlugin(ctx, pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer()
	var stderr hosttest.SyncBuffer
	p, err := host.Start(ctx, plug, srv.reg, host.WithCommand("listen"), host.WithExecOptions(pluginexec.WithStderr(&stderr)))
	if err != nil {
		t.Fatal(err)
	}
	var config providerapi.ConfigFunc
	var action providerapi.ActionFunc
	if err := errors.Join(p.GetService(providerapi.Namespace, "config", &config), p.GetService(providerapi.Namespace, "action", &action)); err != nil {
		t.Fatal(err)
	}

	t.Run("before config", func(t *testing.T) {
		_, err := action(ctx, power("m0", "on"))
		wantServiceError(t, err, "provider: not configured")
		err = config(ctx, providerapi.Config{Site: "lab"})
		wantServiceError(t, err, "provider: the config needs a site and machines")
	})

	const n = 20
	cfg := providerapi.Config{Site: "lab"}
	for i := range n {
		cfg.Machines = append(cfg.Machines, fmt.Sprintf("m%d", i))
	}
	if err := config(ctx, cfg); err != nil {
		t.Fatalf("config: %v", err)
	}

	t.Run("concurrent actions", func(t *testing.T) {
		var wg sync.WaitGroup
		for i, m := range cfg.Machines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				state := []string{"on", "off"}[i%2]
				if got, err := action(ctx, power(m, state)); got != state || err != nil {
					t.Errorf("power %s %s = %q, %v", m, state, got, err)
				}
			}()
		}
		wg.Wait()
		byMachine := map[string][]string{}
		for range 2 * n { // each action published its two events before it returned
			e := <-srv.events
			byMachine[e.Key] = append(byMachine[e.Key], e.Action+": "+e.Detail)
		}
		for i, m := range cfg.Machines {
			state := []string{"on", "off"}[i%2]
			if diff := cmp.Diff([]string{"power: switching " + state, "power: " + state}, byMachine[m]); diff != "" {
				t.Errorf("the events of %s (-want +got):\n%s", m, diff)
			}
		}
	})

	t.Run("failing action", func(t *testing.T) {
		_, err := action(ctx, providerapi.Action{Command: "reboot", Machine: "m1"})
		wantServiceError(t, err, `provider: no command "reboot"`)
		_, err = action(ctx, power("m1", "sideways"))
		wantServiceError(t, err, `provider: power m1: state "sideways", want on or off`)
	})

	// The plugin's erase runs until its context ends: canceled by the
	// server, or past the deadline the call carried. Either way the plugin
	// sees ctx.Done() and reports ctx.Err() in an event.
	t.Run("canceled", func(t *testing.T) {
		ectx, ecancel := context.WithCancel(ctx)
		defer ecancel()
		done := make(chan error, 1)
		go func() {
			_, err := action(ectx, providerapi.Action{Command: "erase", Machine: "m1"})
			done <- err
		}()
		srv.await(t, "m1", "erase: erasing disks")
		ecancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("the canceled erase returned %v, want context.Canceled", err)
		}
		srv.await(t, "m1", "canceled: erase stopped: context canceled")
	})
	t.Run("deadline", func(t *testing.T) {
		dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer dcancel()
		if _, err := action(dctx, providerapi.Action{Command: "erase", Machine: "m2"}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the erase past its deadline returned %v, want context.DeadlineExceeded", err)
		}
		srv.await(t, "m2", "erase: erasing disks")
		srv.await(t, "m2", "canceled: erase stopped: context deadline exceeded")
	})

	if err := p.Stop(ctx); err != nil {
		t.Errorf("Stop: %v, want nil: the provider returns from Serve and exits 0", err)
	}
	// 1 before config, 20 concurrent, 2 failing, 2 erases.
	if want := "provider: stopped after 25 actions\n"; stderr.String() != want {
		t.Errorf("the provider's stderr is %q, want %q", stderr.String(), want)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if want := []string{"warn m1: erase stopped half-way", "warn m2: erase stopped half-way"}; !slices.Equal(srv.warnings, want) {
		t.Errorf("the provider's warnings are %q, want %q", srv.warnings, want)
	}
}

// server is the test's side: the services the provider calls.
type server struct {
	reg    *registry.Registry
	events chan providerapi.Event

	mu       sync.Mutex
	warnings []string
}

func newServer() *server {
	s := &server{reg: registry.New(), events: make(chan providerapi.Event, 100)}
	s.reg.AddServices(registry.Services{
		providerapi.EventsNamespace: {"publish": func(e providerapi.Event) { s.events <- e }},
		providerapi.LogNamespace: {"line": func(level, message string) {
			if level != "info" {
				s.mu.Lock()
				defer s.mu.Unlock()
				s.warnings = append(s.warnings, level+" "+message)
			}
		}},
	})
	return s
}

// await takes the next event and checks that it is about machine and says
// want ("action: detail").
func (s *server) await(t *testing.T, machine, want string) {
	t.Helper()
	select {
	case e := <-s.events:
		if got := e.Action + ": " + e.Detail; e.Key != machine || got != want {
			t.Errorf("event about %s: %q; want about %s: %q", e.Key, got, machine, want)
		}
	case <-time.After(time.Minute): // a watchdog
		t.Fatalf("no event about %s in a minute; want %q", machine, want)
	}
}

func wantServiceError(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), msg) || !errors.Is(err, service.ErrServiceError) {
		t.Errorf("got %v; want a service error saying %q", err, msg)
	}
}

func power(machine, state string) providerapi.Action {
	return providerapi.Action{Command: "power", Machine: machine, Params: map[string]string{"state": state}}
}
