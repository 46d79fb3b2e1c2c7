// Package receptor_test builds the receptor host and its two plugins and
// runs them as real processes: the host's demo as a user would run it, and
// each plugin with the test as the host, checking that events arrive in
// order and completely, and that stopping a stream at either end stops its
// producer at the other.
package receptor_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/examples/receptor/hub"
	"github.com/hostcall/hostcall/examples/receptor/receptorapi"
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// watchdog bounds each test: long enough for a loaded machine, short
// enough to report a hang.
const watchdog = 2 * time.Minute

// The host and the plugins are built once, into a directory TestMain
// removes.
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

// binaries returns the paths of the built host, watcher and reactor.
func binaries(t *testing.T) (hostBin, watcherBin, reactorBin string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("building the example needs the go command, which is not on PATH")
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "receptor-example-"); built.err != nil {
			return
		}
		out, err := exec.Command(gobin, "build", "-o", built.dir+string(filepath.Separator), "./host", "./watcher", "./reactor").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build ./host ./watcher ./reactor: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, "host"), filepath.Join(built.dir, "watcher"), filepath.Join(built.dir, "reactor")
}

// TestHostDemo runs the host with its plugins, as the README does.
func TestHostDemo(t *testing.T) {
	hostBin, watcherBin, reactorBin := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	cmd := exec.CommandContext(ctx, hostBin, watcherBin, reactorBin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("host: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	want := `event #1 web1 up 10.0.0.1:80
event #2 web2 up 10.0.0.2:80
event #3 web3 up 10.0.0.3:80
event #4 web1 down 10.0.0.1:80
reactor: 4 events; web.backends:
  web2 10.0.0.2:80
  web3 10.0.0.3:80
follower 1:
  #1 web1 up 10.0.0.1:80
  #2 web2 up 10.0.0.2:80
  followed web: 2 events
follower 2:
  #1 web1 up 10.0.0.1:80
  #2 web2 up 10.0.0.2:80
  #3 web3 up 10.0.0.3:80
  #4 web1 down 10.0.0.1:80
  followed web: 4 events
stopped
`
	if diff := cmp.Diff(want, stdout.String()); diff != "" {
		t.Errorf("the host's stdout (-want +got):\n%s", diff)
	}
	// The three subscriptions end in any order (the first follower's when
	// it breaks out, the others' when the host closes the topic); the
	// watcher stops when the host breaks out of its stream.
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	stopped := regexp.MustCompile(`^\[dirwatch\] dirwatch: watch web: stopped after 4 events: (context canceled|the host stopped reading)$`)
	var left []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "host: a subscriber left web"):
			left = append(left, l)
		case !stopped.MatchString(l):
			t.Errorf("unexpected line on stderr: %q", l)
		}
	}
	slices.Sort(left)
	wantLeft := []string{"host: a subscriber left web, 0 remain", "host: a subscriber left web, 1 remain", "host: a subscriber left web, 2 remain"}
	if !slices.Equal(left, wantLeft) || !slices.ContainsFunc(lines, stopped.MatchString) {
		t.Errorf("stderr:\n%s\nwant the watcher's stop and %q", stderr.String(), wantLeft)
	}
}

// start starts a plugin command that serves, with reg as the host's
// registry; the plugin's stderr goes to the returned buffer.
func start(t *testing.T, ctx context.Context, path, command string, reg *registry.Registry) (*host.Running, *hosttest.SyncBuffer) {
	t.Helper()
	plug, err := pluginexec.NewPlugin(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var stderr hosttest.SyncBuffer
	p, err := host.Start(ctx, plug, reg, host.WithCommand(command), host.WithExecOptions(pluginexec.WithStderr(&stderr)))
	if err != nil {
		t.Fatal(err)
	}
	return p, &stderr
}

// get fills each func pointer of fns, by name, from ns of p.
func get(t *testing.T, p *host.Running, ns string, fns map[string]any) {
	t.Helper()
	for name, fn := range fns {
		if err := p.GetService(ns, name, fn); err != nil {
			t.Fatal(err)
		}
	}
}

// eventually waits until cond holds; the watchdog only proves that it
// does not hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(watchdog); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after %v", what, watchdog)
		}
	}
}

func writeNode(t *testing.T, dir, node, addr string) {
	t.Helper()
	tmp := filepath.Join(dir, "."+node)
	if err := os.WriteFile(tmp, []byte(addr), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, node)); err != nil {
		t.Fatal(err)
	}
}

func wantBadConfig(t *testing.T, err error, msg string) {
	t.Helper()
	if !errors.Is(err, receptorapi.ErrBadConfig) || !strings.Contains(fmt.Sprint(err), msg) {
		t.Errorf("got %v; want receptorapi.ErrBadConfig saying %q", err, msg)
	}
}

// TestWatcher is the host of the watcher: the host consumes the streams the
// plugin produces.
func TestWatcher(t *testing.T) {
	_, watcherBin, _ := binaries(t)
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	p, stderr := start(t, ctx, watcherBin, "watch", registry.New())
	var setup receptorapi.SetupWatcher
	var accept receptorapi.AcceptWatch
	get(t, p, receptorapi.WatcherNamespace, map[string]any{"setup": &setup, "accept": &accept})

	t.Run("config", func(t *testing.T) {
		dir := t.TempDir()
		_, err := accept(ctx, receptorapi.Watch{Service: "db", Dir: dir})
		wantBadConfig(t, err, "accept before setup")
		wantBadConfig(t, setup(ctx, receptorapi.WatcherSetup{PollMS: -1}), "pollMs -1 is negative")
		if err := setup(ctx, receptorapi.WatcherSetup{PollMS: 5}); err != nil {
			t.Fatal(err)
		}
		_, err = accept(ctx, receptorapi.Watch{Dir: dir})
		wantBadConfig(t, err, "a watch needs a service name")
		_, err = accept(ctx, receptorapi.Watch{Service: "db", Dir: filepath.Join(dir, "nope")})
		wantBadConfig(t, err, "nope\" is not a directory")
	})

	// 300 nodes at once, in the order of their names, then 40 changes one
	// at a time, each event checked as it comes; then the host breaks
	// out, and the watcher's producer stops.
	t.Run("in order, completely", func(t *testing.T) {
		dir := t.TempDir()
		const n = 300
		for i := range n {
			writeNode(t, dir, fmt.Sprintf("n%03d", i), fmt.Sprintf("10.0.%d.%d:80", i/100, i%100))
		}
		events, err := accept(ctx, receptorapi.Watch{Service: "db", Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		next, stop := iter.Pull2(events)
		defer stop()
		seq := 0
		expect := func(node string, st receptorapi.Status, addr string) {
			t.Helper()
			seq++
			want := receptorapi.Event{Seq: seq, Service: "db", Node: node, Status: st, Addr: addr}
			if got, err, ok := next(); got != want || err != nil || !ok {
				t.Fatalf("event %d: %+v, %v, %v; want %+v", seq, got, err, ok, want)
			}
		}
		for i := range n {
			expect(fmt.Sprintf("n%03d", i), receptorapi.Up, fmt.Sprintf("10.0.%d.%d:80", i/100, i%100))
		}
		for i := range 20 {
			gone := fmt.Sprintf("n%03d", i*7)
			if err := os.Remove(filepath.Join(dir, gone)); err != nil {
				t.Fatal(err)
			}
			expect(gone, receptorapi.Down, fmt.Sprintf("10.0.%d.%d:80", i*7/100, i*7%100))
			writeNode(t, dir, "n001", fmt.Sprintf("10.9.9.%d:80", i)) // a new address
			expect("n001", receptorapi.Up, fmt.Sprintf("10.9.9.%d:80", i))
		}
		stop()
		eventually(t, "stopped", func() bool { return strings.Contains(stderr.String(), "watch db: stopped after 340 events: ") })
	})

	// The host cancels the stream's context: the watcher's producer sees
	// its own end.
	t.Run("cancel", func(t *testing.T) {
		dir := t.TempDir()
		writeNode(t, dir, "only", "10.0.0.1:80")
		wctx, wcancel := context.WithCancel(ctx)
		defer wcancel()
		events, err := accept(wctx, receptorapi.Watch{Service: "canceled", Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for ev, err := range events {
			if err != nil {
				got = append(got, err.Error())
				if !errors.Is(err, context.Canceled) {
					t.Errorf("the stream ended with %v, want context.Canceled", err)
				}
				continue
			}
			got = append(got, ev.String())
			wcancel()
		}
		if len(got) != 2 || got[0] != "#1 only up 10.0.0.1:80" {
			t.Errorf("stream: %q, want the node's event then the context's error", got)
		}
		eventually(t, "stopped", func() bool {
			return strings.Contains(stderr.String(), "watch canceled: stopped after 1 events: ")
		})
	})

	// The directory goes away: the stream ends with the watcher's error.
	t.Run("directory removed", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nodes")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeNode(t, dir, "only", "10.0.0.1:80")
		events, err := accept(ctx, receptorapi.Watch{Service: "gone", Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		var last error
		n := 0
		for ev, err := range events {
			if err != nil {
				last = err
				continue
			}
			n++
			if ev.Seq == 1 {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n != 1 || !errors.Is(last, service.ErrServiceError) || !strings.Contains(fmt.Sprint(last), "dirwatch: watch gone: open "+dir+": no such file or directory") {
			t.Errorf("%d events, then %v; want 1 event, then the watcher's error", n, last)
		}
	})

	if err := p.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		if !strings.Contains(l, ": stopped after ") {
			t.Errorf("the watcher wrote %q on stderr", l)
		}
	}
}

// nodeEvents returns n events of service svc about 50 nodes, each up then
// down in turn, and the backends up after them.
func nodeEvents(svc string, n int) ([]receptorapi.Event, []string) {
	var evs []receptorapi.Event
	up := map[string]string{}
	for i := range n {
		node, addr := fmt.Sprintf("n%02d", i%50), fmt.Sprintf("10.1.0.%d:8080", i%50)
		st := receptorapi.Up
		if i/50%2 == 1 {
			st = receptorapi.Down
			delete(up, node)
		} else {
			up[node] = addr
		}
		evs = append(evs, receptorapi.Event{Seq: i + 1, Service: svc, Node: node, Status: st, Addr: addr})
	}
	backends := []string{}
	for node, addr := range up {
		backends = append(backends, node+" "+addr)
	}
	slices.Sort(backends)
	return evs, backends
}

// endless is a stream that never ends on its own: it closes hundred after
// its 100th event and stopped when its consumer stops it.
func endless(hundred, stopped chan struct{}) iter.Seq2[receptorapi.Event, error] {
	return func(yield func(receptorapi.Event, error) bool) {
		defer close(stopped)
		for i := 1; ; i++ {
			if !yield(receptorapi.Event{Seq: i, Node: "n", Status: receptorapi.Up, Addr: "10.0.0.1:80"}, nil) {
				return
			}
			if i == 100 {
				close(hundred)
			}
		}
	}
}

// awaitClosed waits for ch to be closed, under the watchdog.
func awaitClosed(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(watchdog):
		t.Fatalf("%s: not after %v", what, watchdog)
	}
}

// reactorRun is a reactor plugin started with the test as its host.
type reactorRun struct {
	p      *host.Running
	stderr *hosttest.SyncBuffer
	setup  receptorapi.SetupReactor
	accept receptorapi.AcceptReactor
}

func startReactor(t *testing.T, ctx context.Context, reg *registry.Registry) *reactorRun {
	t.Helper()
	_, _, reactorBin := binaries(t)
	r := &reactorRun{}
	r.p, r.stderr = start(t, ctx, reactorBin, "react", reg)
	get(t, r.p, receptorapi.ReactorNamespace, map[string]any{"setup": &r.setup, "accept": &r.accept})
	return r
}

// stop stops the reactor, which must have written nothing on stderr.
func (r *reactorRun) stop(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := r.p.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if s := r.stderr.String(); s != "" {
		t.Errorf("the reactor wrote on stderr:\n%s", s)
	}
}

// TestReactor is the host of the reactor: the host produces the streams
// the plugin consumes. Each case that stops a stream half-way has a plugin
// process of its own, and makes no call after it: an end that abandons a
// call (or a stream) answers the call's late final response as a stray
// frame (bad_request, with the call's sequence), which the other end takes
// for the answer of a call of its own with that sequence, when it has one
// (see the report of branch h-streamex).
func TestReactor(t *testing.T) {
	binaries(t)
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()

	t.Run("config, then in order and completely", func(t *testing.T) {
		r := startReactor(t, ctx, registry.New())
		defer r.stop(t, ctx)
		out := t.TempDir()
		evs, backends := nodeEvents("api", 2025)
		_, err := r.accept(ctx, "api", nodeEventsSeq(evs))
		wantBadConfig(t, err, `accept "api" before setup`)
		wantBadConfig(t, r.setup(ctx, receptorapi.ReactorSetup{OutDir: filepath.Join(out, "nope")}), "is not a directory")
		if err := r.setup(ctx, receptorapi.ReactorSetup{OutDir: out}); err != nil {
			t.Fatal(err)
		}
		_, err = r.accept(ctx, "a/b", nodeEventsSeq(evs))
		wantBadConfig(t, err, "a bad service name")

		sum, err := r.accept(ctx, "api", nodeEventsSeq(evs))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(receptorapi.Summary{Events: len(evs), Backends: backends}, sum); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
		var wantLog strings.Builder
		for _, ev := range evs {
			wantLog.WriteString(ev.String() + "\n")
		}
		for file, want := range map[string]string{"api.log": wantLog.String(), "api.backends": strings.Join(backends, "\n") + "\n"} {
			b, err := os.ReadFile(filepath.Join(out, file))
			if err != nil || string(b) != want {
				t.Errorf("%s: %v, %d bytes; want %d bytes\n%s", file, err, len(b), len(want), cmp.Diff(want, string(b)))
			}
		}
	})

	// The host cancels the call: the stream it was producing stops.
	t.Run("cancel", func(t *testing.T) {
		r := startReactor(t, ctx, registry.New())
		defer r.stop(t, ctx)
		if err := r.setup(ctx, receptorapi.ReactorSetup{OutDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		actx, acancel := context.WithCancel(ctx)
		defer acancel()
		hundred, stopped := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := r.accept(actx, "canceled", endless(hundred, stopped))
			done <- err
		}()
		awaitClosed(t, hundred, "100 events produced")
		acancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("accept returned %v, want context.Canceled", err)
		}
		awaitClosed(t, stopped, "the host's producer stopped")
	})

	// The reactor fails half-way (its directory is gone): its call
	// returns, and the stream the host was producing stops.
	t.Run("reactor fails", func(t *testing.T) {
		r := startReactor(t, ctx, registry.New())
		defer r.stop(t, ctx)
		out := filepath.Join(t.TempDir(), "out")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := r.setup(ctx, receptorapi.ReactorSetup{OutDir: out}); err != nil {
			t.Fatal(err)
		}
		hundred, stopped := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := r.accept(ctx, "failing", endless(hundred, stopped))
			done <- err
		}()
		awaitClosed(t, hundred, "100 events produced")
		if err := os.Rename(out, out+".gone"); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, service.ErrServiceError) || !strings.Contains(fmt.Sprint(err), "no such file or directory") {
			t.Errorf("accept returned %v, want the reactor's error", err)
		}
		awaitClosed(t, stopped, "the host's producer stopped")
	})
}

func nodeEventsSeq(evs []receptorapi.Event) iter.Seq2[receptorapi.Event, error] {
	return func(yield func(receptorapi.Event, error) bool) {
		for _, ev := range evs {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// TestFanOut is a host that publishes one topic to five subscribers: the
// reactor, pushed the hub's stream, and four runs of the follow command,
// which subscribe themselves. One is killed before the events, one breaks
// out after 10 of them; the others get all of them, in order.
func TestFanOut(t *testing.T) {
	_, _, reactorBin := binaries(t)
	hosttest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	h := hub.New()
	reg := registry.New()
	reg.AddService(receptorapi.EventsNamespace, "subscribe", h.Subscribe)
	r := startReactor(t, ctx, reg)
	if err := r.setup(ctx, receptorapi.ReactorSetup{OutDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	reacted := make(chan receptorapi.Summary, 1)
	go func() {
		sum, err := r.accept(ctx, "fan", h.Subscribe(ctx, "fan"))
		if err != nil {
			t.Errorf("the reactor: %v", err)
		}
		reacted <- sum
	}()
	plug, err := pluginexec.NewPlugin(ctx, reactorBin)
	if err != nil {
		t.Fatal(err)
	}
	killCtx, kill := context.WithCancel(ctx)
	defer kill()
	followers := []*follower{
		runFollower(ctx, plug, reg, 0), runFollower(ctx, plug, reg, 0),
		runFollower(ctx, plug, reg, 10), runFollower(killCtx, plug, reg, 0),
	}
	await := func(n int) {
		t.Helper()
		if err := h.AwaitSubscribers(ctx, "fan", n); err != nil {
			t.Fatal(err)
		}
	}
	await(5)
	kill() // SIGTERM: the plugin's connection ends, and with it its subscription
	await(4)
	if err := followers[3].wait(); err == nil {
		t.Errorf("the killed follower's run succeeded")
	}

	evs, backends := nodeEvents("fan", 3025)
	for _, ev := range evs {
		if err := h.Publish(ctx, "fan", ev); err != nil {
			t.Fatal(err)
		}
	}
	await(3) // the follower that broke out after 10 events left
	h.Close("fan")

	if sum := <-reacted; sum.Events != len(evs) || !slices.Equal(sum.Backends, backends) {
		t.Errorf("the reactor's summary: %d events, backends %q; want %d, %q", sum.Events, sum.Backends, len(evs), backends)
	}
	for i, f := range followers[:3] {
		want := evs
		if i == 2 {
			want = evs[:10]
		}
		var lines []string
		for _, ev := range want {
			lines = append(lines, ev.String())
		}
		lines = append(lines, fmt.Sprintf("followed fan: %d events", len(want)))
		if err := f.wait(); err != nil {
			t.Errorf("follower %d: %v", i, err)
		}
		if diff := cmp.Diff(lines, strings.Split(strings.TrimSuffix(f.stdout.String(), "\n"), "\n")); diff != "" {
			t.Errorf("follower %d's output (-want +got):\n%s", i, diff)
		}
	}
	r.stop(t, ctx)
}

// follower is a run of the follow command.
type follower struct {
	stdout hosttest.SyncBuffer
	done   chan error
}

func runFollower(ctx context.Context, plug *pluginexec.Plugin, reg *registry.Registry, count int) *follower {
	f := &follower{done: make(chan error, 1)}
	go func() {
		f.done <- pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, "subscriber"),
			[]string{"fan", fmt.Sprintf("--count=%d", count)},
			host.Bind(reg), pluginexec.WithStdout(&f.stdout), pluginexec.WithStderr(&f.stdout))
	}()
	return f
}

// wait waits for the run to end, under the watchdog.
func (f *follower) wait() error {
	select {
	case err := <-f.done:
		return err
	case <-time.After(watchdog):
		return fmt.Errorf("still running after %v", watchdog)
	}
}
