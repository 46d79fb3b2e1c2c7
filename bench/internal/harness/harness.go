// Package harness is what every system's host and plugin share: the
// workloads, the measuring loop that runs on the calling side, and the
// result each run hands to the runner.
//
// A run is one host process started by the runner; the host starts one
// plugin process. In every system but hostcall-h2p the plugin makes the
// calls into the host (hostcall's first direction): it warms up, asks the
// host for its allocation count (Mark), measures for a fixed duration, asks
// again, and writes a Result to the file named by --out with ".plugin"
// appended; the host adds its own peak RSS and writes the final Result to
// --out. In hostcall-h2p the host calls the plugin: the host runs the same
// loop (Measure) against the plugin's services and writes the Result
// itself.
package harness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
)

// Workload is one kind of call pattern.
type Workload struct {
	Name  string
	Conc  int // goroutines calling at once
	Kind  string
	Bytes int   // payload size of echo
	Items int64 // stream workloads: the items (ints) or bytes of each stream
	About string
}

// Workload kinds.
const (
	KindAdd    = "add"
	KindEcho   = "echo"
	KindStruct = "struct"
	KindInts   = "ints"  // a stream of ints from the callee: Caller.Ints
	KindBytes  = "bytes" // a byte stream from the callee: Caller.Bytes
)

// IsStream reports whether w's calls are streams: each of its ops is one
// whole stream of w.Items items or bytes.
func (w Workload) IsStream() bool { return w.Kind == KindInts || w.Kind == KindBytes }

// EchoSize is the payload of echo1m.
const EchoSize = 1 << 20

// Workloads in table order.
var Workloads = []Workload{
	{Name: "lat", Conc: 1, Kind: KindAdd, About: "1 caller, sequential add(int, int) int"},
	{Name: "c8", Conc: 8, Kind: KindAdd, About: "8 goroutines calling add concurrently"},
	{Name: "c64", Conc: 64, Kind: KindAdd, About: "64 goroutines calling add concurrently"},
	{Name: "echo1m", Conc: 1, Kind: KindEcho, Bytes: EchoSize, About: "1 caller, echo([]byte) []byte of 1 MiB"},
	{Name: "struct4k", Conc: 1, Kind: KindStruct, About: "1 caller, round trip of a ~4 KiB nested struct"},
	{Name: "ints100k", Conc: 1, Kind: KindInts, Items: 100_000, About: "1 caller, streams of 100,000 ints (0, 1, 2...) from the callee, each item checked"},
	{Name: "bytes256m", Conc: 1, Kind: KindBytes, Items: 256 << 20, About: "1 caller, streams of 256 MiB from the callee (an io.Reader where the system has one), every byte checked"},
}

// LookupWorkload returns the workload called name.
func LookupWorkload(name string) (Workload, bool) {
	for _, w := range Workloads {
		if w.Name == name {
			return w, true
		}
	}
	return Workload{}, false
}

// Params are what the runner tells a host, and the host its plugin.
type Params struct {
	Workload string
	Warmup   time.Duration
	Duration time.Duration
	Out      string // result file
}

// AddFlags registers the parameters on fs.
func (p *Params) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&p.Workload, "workload", "lat", "workload: lat, c8, c64, echo1m, struct4k, ints100k, bytes256m")
	fs.DurationVar(&p.Warmup, "warmup", 300*time.Millisecond, "warm-up before measuring")
	fs.DurationVar(&p.Duration, "duration", 1500*time.Millisecond, "measuring time")
	fs.StringVar(&p.Out, "out", "", "file the result is written to (JSON)")
}

// PluginArgs returns the arguments that give the plugin these parameters,
// its result going to PluginOut.
func (p Params) PluginArgs() []string {
	return []string{
		"--workload", p.Workload,
		"--warmup", p.Warmup.String(),
		"--duration", p.Duration.String(),
		"--out", p.PluginOut(),
	}
}

// PluginOut is where the plugin writes its part of the result.
func (p Params) PluginOut() string { return p.Out + ".plugin" }

// Result is one run of one system on one workload.
type Result struct {
	System    string  `json:"system"`
	Workload  string  `json:"workload"`
	Ops       int64   `json:"ops"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"opsPerSec"`
	// Peak resident set (VmHWM) of each process, KiB.
	HostHWMKiB   int64 `json:"hostHWMKiB"`
	PluginHWMKiB int64 `json:"pluginHWMKiB"`
	// Heap allocations (runtime.MemStats.Mallocs) during the measurement.
	HostMallocs   uint64 `json:"hostMallocs"`
	PluginMallocs uint64 `json:"pluginMallocs"`
	Note          string `json:"note,omitempty"`
}

// Caller is a system's calling side (the plugin, or the host in
// hostcall-h2p): each method is one round trip to the other process, the
// callee. Methods are called from Workload.Conc goroutines at once.
type Caller interface {
	Add(a, b int64) (int64, error)
	Echo(b []byte) ([]byte, error)
	// Struct sends the system's copy of NewRecord() with its ID set to id,
	// and checks that the reply equals what was sent.
	Struct(id int64) error
	// Mark returns the callee's runtime.MemStats.Mallocs.
	Mark() (uint64, error)
	// Ints opens a stream of the ints 0 ... n-1 from the callee and
	// reads it to its end, checking every item (CheckInts).
	Ints(n int64) error
	// Bytes opens a stream of n bytes of the pattern (PatternReader) from
	// the callee and reads it to its end, checking every byte.
	Bytes(n int64) error
}

// HostMallocs is what a callee's Mark returns: this process's
// runtime.MemStats.Mallocs.
func HostMallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// Measurement is what Measure counted.
type Measurement struct {
	Workload      string
	Ops           int64
	Seconds       float64
	CallerMallocs uint64 // heap allocations of this process while measuring
	CalleeMallocs uint64 // the callee's, from Mark
}

// Measure runs the workload p names against c: warm-up for p.Warmup, the
// callee's Mark, calls for p.Duration, Mark again. Any wrong reply fails it.
func Measure(p Params, c Caller) (Measurement, error) {
	w, ok := LookupWorkload(p.Workload)
	if !ok {
		return Measurement{}, fmt.Errorf("unknown workload %q", p.Workload)
	}
	if _, _, err := drive(w, c, p.Warmup); err != nil {
		return Measurement{}, fmt.Errorf("warm-up: %w", err)
	}
	var m0, m1 runtime.MemStats
	h0, err := c.Mark()
	if err != nil {
		return Measurement{}, fmt.Errorf("mark: %w", err)
	}
	runtime.ReadMemStats(&m0)
	ops, secs, err := drive(w, c, p.Duration)
	if err != nil {
		return Measurement{}, err
	}
	runtime.ReadMemStats(&m1)
	h1, err := c.Mark()
	if err != nil {
		return Measurement{}, fmt.Errorf("mark: %w", err)
	}
	return Measurement{Workload: w.Name, Ops: ops, Seconds: secs,
		CallerMallocs: m1.Mallocs - m0.Mallocs, CalleeMallocs: h1 - h0}, nil
}

// RunPlugin runs the workload p names against c (Measure) and writes the
// plugin's part of the result: the plugin is the caller, the host the
// callee.
func RunPlugin(system string, p Params, c Caller, note func() string) error {
	m, err := Measure(p, c)
	if err != nil {
		return err
	}
	r := Result{
		System: system, Workload: m.Workload, Ops: m.Ops, Seconds: m.Seconds,
		OpsPerSec:     float64(m.Ops) / m.Seconds,
		PluginHWMKiB:  PeakRSSKiB(),
		HostMallocs:   m.CalleeMallocs,
		PluginMallocs: m.CallerMallocs,
	}
	if note != nil {
		r.Note = note()
	}
	return WriteResult(p.Out, &r) // the host gave the plugin its PluginOut
}

// drive calls the workload from w.Conc goroutines for d (at least one call
// each) and returns the number of calls and the time they took.
func drive(w Workload, c Caller, d time.Duration) (int64, float64, error) {
	var stop atomic.Bool
	var total atomic.Int64
	var firstErr error
	var once sync.Once
	fail := func(err error) {
		once.Do(func() { firstErr = err })
		stop.Store(true)
	}
	var wg sync.WaitGroup
	start := time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	for g := 0; g < w.Conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := newOp(w, c, g)
			var n int64
			for i := int64(1); ; i++ {
				if err := op(i); err != nil {
					fail(err)
					break
				}
				n++
				if stop.Load() {
					break
				}
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	return total.Load(), secs, firstErr
}

// newOp returns goroutine g's call: op(i) makes the i-th call and checks
// its reply.
func newOp(w Workload, c Caller, g int) func(i int64) error {
	switch w.Kind {
	case KindAdd:
		b := int64(g)*1_000_003 + 7
		return func(i int64) error {
			sum, err := c.Add(i, b)
			if err != nil {
				return fmt.Errorf("add: %w", err)
			}
			if sum != i+b {
				return fmt.Errorf("add(%d, %d) = %d, want %d", i, b, sum, i+b)
			}
			return nil
		}
	case KindEcho:
		buf := make([]byte, w.Bytes)
		for j := range buf {
			buf[j] = byte(j*7 + g)
		}
		return func(i int64) error {
			stamp(buf, i)
			got, err := c.Echo(buf)
			if err != nil {
				return fmt.Errorf("echo: %w", err)
			}
			if len(got) != len(buf) {
				return fmt.Errorf("echo: %d bytes back, want %d", len(got), len(buf))
			}
			// The stamps change each call; the whole payload is
			// compared on every 64th call.
			if !bytes.Equal(got[:8], buf[:8]) || !bytes.Equal(got[len(got)-8:], buf[len(buf)-8:]) ||
				i%64 == 1 && !bytes.Equal(got, buf) {
				return fmt.Errorf("echo: call %d: reply differs from the payload", i)
			}
			return nil
		}
	case KindStruct:
		return func(i int64) error {
			if err := c.Struct(i); err != nil {
				return fmt.Errorf("struct: %w", err)
			}
			return nil
		}
	case KindInts:
		return func(int64) error {
			if err := c.Ints(w.Items); err != nil {
				return fmt.Errorf("ints: %w", err)
			}
			return nil
		}
	case KindBytes:
		return func(int64) error {
			if err := c.Bytes(w.Items); err != nil {
				return fmt.Errorf("bytes: %w", err)
			}
			return nil
		}
	}
	panic("harness: unknown workload kind " + w.Kind)
}

// stamp writes i at both ends of b.
func stamp(b []byte, i int64) {
	for k := 0; k < 8; k++ {
		b[k] = byte(i >> (8 * k))
		b[len(b)-1-k] = byte(i >> (8 * k))
	}
}

// PeakRSSKiB returns this process's peak resident set size (VmHWM) in KiB,
// or -1 if it cannot be read.
func PeakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// WriteResult writes r as JSON to path.
func WriteResult(path string, r *Result) error {
	if path == "" {
		return fmt.Errorf("no --out file")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ReadResult reads a Result written by WriteResult.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// FinishHost reads the plugin's result, adds the host's peak RSS and
// writes the run's result. Hosts call it once the plugin has exited.
func FinishHost(p Params) error {
	r, err := ReadResult(p.PluginOut())
	if err != nil {
		return fmt.Errorf("the plugin left no result: %w", err)
	}
	os.Remove(p.PluginOut())
	r.HostHWMKiB = PeakRSSKiB()
	return WriteResult(p.Out, r)
}

// ParseHost parses a host's arguments: the parameters, and the plugin
// binary to start.
func ParseHost(extra func(fs *pflag.FlagSet)) (Params, string) {
	var p Params
	var plugin string
	fs := pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)
	p.AddFlags(fs)
	fs.StringVar(&plugin, "plugin", "", "plugin binary")
	if extra != nil {
		extra(fs)
	}
	fs.Parse(os.Args[1:])
	if plugin == "" || p.Out == "" {
		fmt.Fprintln(os.Stderr, "usage: HOST --plugin PATH --out FILE [--workload W --warmup D --duration D]")
		os.Exit(2)
	}
	return p, plugin
}

// Fatal prints err prefixed with who and exits 1.
func Fatal(who string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", who, err)
	os.Exit(1)
}
