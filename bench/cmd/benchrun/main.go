// Command benchrun builds the host and plugin binaries of every system into
// bin/, runs each system on each workload N times, prints the table and
// writes it, with a chart, to docs/bench/ (RESULTS.md, chart.svg,
// results.json).
//
//	cd bench && go run ./cmd/benchrun            # full run, about 5 minutes
//	cd bench && go run ./cmd/benchrun --quick    # 1 short run each, prints only
//
// Each run is one host process started by benchrun; the host starts its
// plugin, the plugin calls the host (the host calls the plugin in
// hostcall-h2p): warm-up, then a fixed measuring time.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

// System is one host/plugin pair.
type System struct {
	Name   string
	Host   string // binary in bin/
	Plugin string
	Args   []string // extra host arguments
	About  string
	// NoStreams, when set, says why the system has no streams: the
	// stream workloads are not run on it.
	NoStreams string
}

// runs reports whether benchrun runs s on w.
func (s System) runs(w harness.Workload) bool { return s.NoStreams == "" || !w.IsStream() }

// Systems in column order.
var Systems = []System{
	{Name: "raw", Host: "raw-host", Plugin: "raw-plugin",
		About: "two OS pipes in blocking mode, fixed binary headers, hand-written (the ceiling)"},
	{Name: "hostcall", Host: "hostcall-host", Plugin: "hostcall-plugin", Args: []string{"--mode", "p2"},
		About: "host.Bind (anonymous pipes) and service.GetService, protocol 2 (hello, blobs)"},
	{Name: "hostcall-p1", Host: "hostcall-host", Plugin: "hostcall-plugin", Args: []string{"--mode", "p1"},
		About:     "the same host; the plugin's client made with service.Dial(..., service.WithProtocol1()): no hello, []byte as base64",
		NoStreams: "protocol 1 has no streams"},
	{Name: "hostcall-h2p", Host: "hostcall-host", Plugin: "hostcall-plugin", Args: []string{"--mode", "h2p"},
		About: "the other direction, with the same workloads: host.Start runs the plugin's serve command (service.Serve) and the host calls it through Running.GetService, protocol 2; the host is the caller here, the plugin the callee"},
	{Name: "netrpc", Host: "netrpc-host", Plugin: "netrpc-plugin",
		About:     "hashicorp/go-plugin, net/rpc (gob over yamux); the plugin calls the host through the MuxBroker",
		NoStreams: "net/rpc has no streams"},
	{Name: "grpc", Host: "grpc-host", Plugin: "grpc-plugin",
		About: "hashicorp/go-plugin, gRPC; the plugin calls the host through the GRPCBroker"},
	{Name: "ttrpc", Host: "ttrpc-host", Plugin: "ttrpc-plugin",
		About: "containerd/ttrpc over a Unix socket pair; the host serves, the plugin is the client"},
}

type config struct {
	runs     int
	warmup   time.Duration
	duration time.Duration
	quick    bool
	systems  []string
	works    []string
	out      string
	noBuild  bool
	render   string
	benchDir string
}

func main() {
	var c config
	fs := pflag.CommandLine
	fs.IntVar(&c.runs, "runs", 5, "runs of each system on each workload")
	fs.DurationVar(&c.warmup, "warmup", 300*time.Millisecond, "warm-up of each run")
	fs.DurationVar(&c.duration, "duration", 1500*time.Millisecond, "measuring time of each run")
	fs.BoolVar(&c.quick, "quick", false, "smoke mode: 1 run of 0.5 s each, results printed, not written (unless --out)")
	fs.StringSliceVar(&c.systems, "systems", nil, "systems to run (default all): "+names(systemNames()))
	fs.StringSliceVar(&c.works, "workloads", nil, "workloads to run (default all): "+names(workloadNames()))
	fs.StringVar(&c.out, "out", "", "directory for RESULTS.md, chart.svg, results.json (default ../docs/bench; none with --quick)")
	fs.BoolVar(&c.noBuild, "no-build", false, "use the binaries already in bin/")
	fs.StringVar(&c.render, "render", "", "run nothing: rewrite the report and chart from this results.json")
	pflag.Parse()
	if err := run(&c); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func names(s []string) string { return strings.Join(s, ", ") }

func systemNames() []string {
	var s []string
	for _, x := range Systems {
		s = append(s, x.Name)
	}
	return s
}

func workloadNames() []string {
	var s []string
	for _, w := range harness.Workloads {
		s = append(s, w.Name)
	}
	return s
}

func run(c *config) error {
	dir, err := findBenchDir()
	if err != nil {
		return err
	}
	c.benchDir = dir
	if c.quick {
		c.runs = 1
		if !pflag.CommandLine.Changed("warmup") {
			c.warmup = 100 * time.Millisecond
		}
		if !pflag.CommandLine.Changed("duration") {
			c.duration = 500 * time.Millisecond
		}
	} else if c.out == "" {
		c.out = filepath.Join(dir, "..", "docs", "bench")
	}
	if c.render != "" {
		return render(c)
	}
	if c.runs < 1 {
		return fmt.Errorf("--runs %d: want at least 1", c.runs)
	}
	systems, err := pickSystems(c.systems)
	if err != nil {
		return err
	}
	works, err := pickWorkloads(c.works)
	if err != nil {
		return err
	}
	bin := filepath.Join(dir, "bin")
	if !c.noBuild {
		if err := build(dir, bin, systems); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	res := newResults(systems, works, c)
	start := time.Now()
	total := 0
	for _, w := range works {
		for _, s := range systems {
			if s.runs(w) {
				total += c.runs
			}
		}
	}
	n := 0
	// Runs are interleaved (every system and workload once, then again)
	// so that a slow spell of the machine spreads over all of them.
	for r := 1; r <= c.runs; r++ {
		for _, w := range works {
			for _, s := range systems {
				if !s.runs(w) {
					continue
				}
				n++
				out := filepath.Join(tmp, fmt.Sprintf("%s-%s-%d.json", s.Name, w.Name, r))
				got, err := runOne(bin, s, w, c, out)
				if err != nil {
					fmt.Fprintf(os.Stderr, "[%3d/%d %5.0fs] %-8s %-12s FAILED: %v\n", n, total, time.Since(start).Seconds(), w.Name, s.Name, err)
					res.fail(s.Name, w.Name, err)
					continue
				}
				got.System = s.Name
				fmt.Fprintf(os.Stderr, "[%3d/%d %5.0fs] %-8s %-12s %s\n", n, total, time.Since(start).Seconds(), w.Name, s.Name, formatRate(w, got.OpsPerSec))
				res.add(got)
			}
		}
	}
	res.Elapsed = time.Since(start)
	res.Machine = machineInfo(dir)
	report := res.markdown()
	fmt.Println(report)
	if c.out != "" {
		if err := res.write(c.out, report); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", filepath.Join(c.out, "RESULTS.md"))
	}
	if len(res.Failures) > 0 {
		return fmt.Errorf("%d runs failed", len(res.Failures))
	}
	return nil
}

// render rewrites the report and chart of a saved results.json.
func render(c *config) error {
	res, err := loadResults(c.render)
	if err != nil {
		return err
	}
	report := res.markdown()
	fmt.Println(report)
	if c.out == "" {
		return nil
	}
	return res.write(c.out, report)
}

// findBenchDir returns the directory of the bench module, searched from the
// working directory up.
func findBenchDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		for _, cand := range []string{d, filepath.Join(d, "bench")} {
			b, err := os.ReadFile(filepath.Join(cand, "go.mod"))
			if err == nil && strings.Contains(string(b), "module github.com/hostcall/hostcall/bench\n") {
				return cand, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run benchrun inside the hostcall repository (no bench module above %s)", dir)
		}
	}
}

func pickSystems(want []string) ([]System, error) {
	if len(want) == 0 {
		return Systems, nil
	}
	var out []System
	for _, s := range Systems {
		for _, w := range want {
			if w == s.Name {
				out = append(out, s)
			}
		}
	}
	for _, w := range want {
		if !contains(systemNames(), w) {
			return nil, fmt.Errorf("unknown system %q (have %s)", w, names(systemNames()))
		}
	}
	return out, nil
}

func pickWorkloads(want []string) ([]harness.Workload, error) {
	if len(want) == 0 {
		return harness.Workloads, nil
	}
	var out []harness.Workload
	for _, w := range harness.Workloads {
		if contains(want, w.Name) {
			out = append(out, w)
		}
	}
	for _, w := range want {
		if _, ok := harness.LookupWorkload(w); !ok {
			return nil, fmt.Errorf("unknown workload %q (have %s)", w, names(workloadNames()))
		}
	}
	return out, nil
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// build compiles the hosts and plugins of systems into bin.
func build(dir, bin string, systems []System) error {
	pkgs := map[string]bool{}
	var args []string
	for _, s := range systems {
		for _, b := range []string{s.Host, s.Plugin} {
			if !pkgs[b] {
				pkgs[b] = true
				args = append(args, "./cmd/"+b)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "building %d binaries into %s\n", len(args), bin)
	cmd := exec.Command("go", append([]string{"build", "-o", bin + string(filepath.Separator)}, args...)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// runOne runs one host process and returns its result.
func runOne(bin string, s System, w harness.Workload, c *config, out string) (*harness.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.warmup+c.duration+60*time.Second)
	defer cancel()
	args := append([]string{
		"--plugin", filepath.Join(bin, s.Plugin),
		"--workload", w.Name,
		"--warmup", c.warmup.String(),
		"--duration", c.duration.String(),
		"--out", out,
	}, s.Args...)
	cmd := exec.CommandContext(ctx, filepath.Join(bin, s.Host), args...)
	// The host and its plugin form a process group of their own, ended
	// as a whole if the run outlives its time.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr tail
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("timed out: %s", stderr.String())
	}
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	r, err := harness.ReadResult(out)
	if err != nil {
		return nil, err
	}
	if r.Ops <= 0 || r.Seconds <= 0 {
		return nil, errors.New("no calls measured")
	}
	return r, nil
}

// tail keeps the last 2 KiB written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string { return strings.TrimSpace(string(t.b)) }

var _ io.Writer = (*tail)(nil)
