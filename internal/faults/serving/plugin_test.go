package serving

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The plugin's modes, chosen by the argument mode=...
const (
	modeServe   = "serve"   // serves until the host closes (or serveTimeout)
	modeNoServe = "noserve" // never serves: calls h.wait and leaves once it is answered
	modeLate    = "late"    // calls h.ready and serves once it is answered
	modeStop    = "stop"    // serves until p.stop, then waits for "exit" on stdin
)

var pluginManifest = pluginexec.Manifest{
	Name:     "serving",
	Version:  "1.0.0",
	Commands: []pluginexec.Command{{Path: []string{"run"}, Type: "run"}},
}

// pluginConfig is what the plugin's arguments say, key=value each.
type pluginConfig struct {
	mode         string
	maxFrame     int
	maxInFlight  int
	drain        time.Duration
	serveTimeout time.Duration
}

func parsePluginConfig(args []string) (pluginConfig, error) {
	cfg := pluginConfig{mode: modeServe}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || strings.HasPrefix(a, "-") {
			continue // --host-file and its URL
		}
		var err error
		switch k {
		case "mode":
			cfg.mode = v
		case "maxFrame":
			cfg.maxFrame, err = strconv.Atoi(v)
		case "maxInFlight":
			cfg.maxInFlight, err = strconv.Atoi(v)
		case "drain":
			cfg.drain, err = time.ParseDuration(v)
		case "serveTimeout":
			cfg.serveTimeout, err = time.ParseDuration(v)
		default:
			if !strings.Contains(k, "/") {
				err = fmt.Errorf("unknown argument %q", a)
			}
		}
		if err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// report is what a plugin run prints on stdout once its connection is
// over, for the test to assert on.
type report struct {
	// ServeErr is what Serve returned ("" for nil); ServeReturned says it
	// returned at all.
	ServeErr      string `json:"serveErr"`
	ServeReturned bool   `json:"serveReturned"`
	// CallErr is the error of the plugin's own call in modes noserve and
	// late.
	CallErr string `json:"callErr"`
	// Callbacks lists the outcome of each call p.callback made to the
	// host: "ok N" or the error.
	Callbacks []string `json:"callbacks"`
	// Ends lists why each p.sleep and p.hold ended: its context's error,
	// or "released".
	Ends []string `json:"ends"`
	// Started counts the services that ran; PeakHold is the most p.hold
	// calls running at once; PeakGoroutines the most goroutines seen by a
	// p.hold as it started, and Baseline the goroutines before dialing.
	Started        int64 `json:"started"`
	PeakHold       int64 `json:"peakHold"`
	PeakGoroutines int   `json:"peakGoroutines"`
	Baseline       int   `json:"baseline"`
	// Leaked holds the stacks of the goroutines left once the client was
	// closed, "" if none.
	Leaked string `json:"leaked"`
	// MaxRSSKiB is the plugin's peak resident size (VmHWM), StartRSSKiB
	// its resident size before it connected.
	MaxRSSKiB   int64 `json:"maxRSSKiB"`
	StartRSSKiB int64 `json:"startRSSKiB"`
}

// plugin is the plugin process's state.
type plugin struct {
	cfg    pluginConfig
	client *service.Client
	stop   context.CancelFunc // mode stop: ends Serve

	gate     gate // p.hold waits on it; "release" on stdin opens it
	exit     chan struct{}
	exitOnce sync.Once
	started  atomic.Int64
	holding  atomic.Int64
	peak     atomic.Int64
	peakG    atomic.Int64

	mu        sync.Mutex
	callbacks []string
	ends      []string
}

// gate is opened by release for the p.hold calls waiting on it; those
// that start afterwards wait for the next release.
type gate struct {
	mu      sync.Mutex
	changed *sync.Cond
	ch      chan struct{}
	waiting int
}

// wait returns the channel that the next release closes, counting the
// caller as waiting on it until done is called.
func (g *gate) wait() (ch <-chan struct{}, done func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	g.waiting++
	g.changed.Broadcast()
	mine := g.ch
	return mine, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.ch == mine { // not released: it stops waiting on its own
			g.waiting--
		}
	}
}

func (g *gate) init() {
	if g.ch == nil {
		g.ch = make(chan struct{})
		g.changed = sync.NewCond(&g.mu)
	}
}

// release waits until n calls wait, then lets them go.
func (g *gate) release(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	for g.waiting < n {
		g.changed.Wait()
	}
	close(g.ch)
	g.ch = make(chan struct{})
	g.waiting = 0
}

func (p *plugin) note(list *[]string, s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	*list = append(*list, s)
}

// registry is what the plugin serves: namespace p.
//
//	add(a, b int) int
//	echo(s string) string
//	sleep(ctx) error          // until its context ends, noted in Ends
//	hold(ctx) error           // until "release N" on stdin, or its context ends
//	big(n int) string         // n times "x"
//	bytes(n int) []byte       // n bytes 'b': a blob for a host that takes them
//	blob(b []byte) int        // len(b)
//	panic()                   // panics "deliberate"
//	callback(ctx, a, ms int) (int, error) // h.add(a, 1) on the host, within ms milliseconds if ms > 0
//	stop()                    // mode stop: ends Serve
func (p *plugin) registry() *registry.Registry {
	reg := registry.New()
	reg.Define("p", map[string]string{"description": "serving faults"})
	count := func() { p.started.Add(1) }
	reg.AddServices(registry.Services{"p": {
		"add":  func(a, b int) int { count(); return a + b },
		"echo": func(s string) string { count(); return s },
		"sleep": func(ctx context.Context) error {
			count()
			<-ctx.Done()
			p.note(&p.ends, context.Cause(ctx).Error())
			return ctx.Err()
		},
		"hold":  p.hold,
		"big":   func(n int) string { count(); return strings.Repeat("x", n) },
		"bytes": func(n int) []byte { count(); return []byte(strings.Repeat("b", n)) },
		"blob":  func(b []byte) int { count(); return len(b) },
		"panic": func() { count(); panic("deliberate") },
		"callback": func(ctx context.Context, a, ms int) (int, error) {
			count()
			var add func(context.Context, int, int) (int, error)
			if err := p.client.GetService("h", "add", &add); err != nil {
				return 0, err
			}
			if ms > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
				defer cancel()
			}
			n, err := add(ctx, a, 1)
			if err != nil {
				p.note(&p.callbacks, err.Error())
				return 0, err
			}
			p.note(&p.callbacks, fmt.Sprintf("ok %d", n))
			return n, nil
		},
		"stop": func() {
			count()
			if p.stop != nil {
				p.stop()
			}
		},
	}})
	return reg
}

func (p *plugin) hold(ctx context.Context) error {
	p.started.Add(1)
	n := p.holding.Add(1)
	defer p.holding.Add(-1)
	raise(&p.peak, n)
	raise(&p.peakG, int64(runtime.NumGoroutine()))
	ch, done := p.gate.wait()
	defer done()
	select {
	case <-ch:
		p.note(&p.ends, "released")
		return nil
	case <-ctx.Done():
		p.note(&p.ends, context.Cause(ctx).Error())
		return ctx.Err()
	}
}

func raise(a *atomic.Int64, n int64) {
	for m := a.Load(); n > m && !a.CompareAndSwap(m, n); m = a.Load() {
	}
}

// control reads the test's commands on stdin: "release N" waits until N
// p.hold calls wait and lets them go, "exit" lets a plugin of mode stop
// leave.
func (p *plugin) control() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "release %d", &n); err == nil {
			p.gate.release(n)
			continue
		}
		switch sc.Text() {
		case "exit":
			p.exitOnce.Do(func() { close(p.exit) })
		}
	}
	p.exitOnce.Do(func() { close(p.exit) }) // the test is gone
}

// pluginMain is the plugin: "info" prints the manifest; "run" connects to
// the host, does what its mode says and prints its report.
func pluginMain(args []string) int {
	if handled, err := pluginexec.HandleInfo(os.Stdout, args, pluginManifest); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin:", err)
			return 1
		}
		return 0
	}
	cfg, err := parsePluginConfig(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 2
	}
	p := &plugin{cfg: cfg, exit: make(chan struct{})}
	go p.control() // ends with the process: stdin is the test's
	rep := report{Baseline: runtime.NumGoroutine(), StartRSSKiB: procStatusKiB("VmRSS")}
	var serveOpts []service.ServeOption
	if cfg.maxInFlight > 0 {
		serveOpts = append(serveOpts, host.WithMaxInFlight(cfg.maxInFlight))
	}
	if cfg.drain > 0 {
		serveOpts = append(serveOpts, host.WithDrainTimeout(cfg.drain))
	}
	c, err := service.Dial(context.Background(), service.HostURLsFromArgs(args),
		service.WithMaxFrameSize(cfg.maxFrame), service.WithServeOptions(serveOpts...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	p.client = c
	p.run(&rep)
	c.Close()
	rep.Leaked = leakedGoroutines(rep.Baseline)
	p.mu.Lock()
	rep.Callbacks, rep.Ends = p.callbacks, p.ends
	p.mu.Unlock()
	rep.Started, rep.PeakHold, rep.PeakGoroutines = p.started.Load(), p.peak.Load(), int(p.peakG.Load())
	rep.MaxRSSKiB = procStatusKiB("VmHWM")
	if err := json.NewEncoder(os.Stdout).Encode(&rep); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	return 0
}

// run does what the plugin's mode says.
func (p *plugin) run(rep *report) {
	serve := func(ctx context.Context) {
		err := p.client.Serve(ctx, p.registry())
		rep.ServeReturned = true
		if err != nil {
			rep.ServeErr = err.Error()
		}
	}
	call := func(name string) error {
		var f func() error
		if err := p.client.GetService("h", name, &f); err != nil {
			return err
		}
		return f()
	}
	ctx := context.Background()
	if p.cfg.serveTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.serveTimeout)
		defer cancel()
	}
	switch p.cfg.mode {
	case modeServe:
		serve(ctx)
	case modeNoServe:
		if err := call("wait"); err != nil {
			rep.CallErr = err.Error()
		}
	case modeLate:
		if err := call("ready"); err != nil {
			rep.CallErr = err.Error()
			return
		}
		serve(ctx)
	case modeStop:
		ctx, p.stop = context.WithCancel(ctx)
		serve(ctx)
		<-p.exit
	default:
		rep.CallErr = fmt.Sprintf("unknown mode %q", p.cfg.mode)
	}
}

// leakedGoroutines waits a few seconds for the goroutines to come back to
// baseline (the control reader counts in it) and returns the stacks of
// those left, "" if none.
func leakedGoroutines(baseline int) string {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if runtime.NumGoroutine() <= baseline {
			return ""
		}
		if time.Now().After(deadline) {
			break
		}
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var keep []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "hostcall/hostcall/") && !strings.Contains(g, "leakedGoroutines") && !strings.Contains(g, "(*plugin).control") {
			keep = append(keep, g)
		}
	}
	return fmt.Sprintf("%d goroutines (baseline %d):\n%s", runtime.NumGoroutine(), baseline, strings.Join(keep, "\n\n"))
}

// procStatusKiB returns a "kB" field of /proc/self/status, 0 if absent.
func procStatusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
