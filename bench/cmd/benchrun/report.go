package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

// Results are every run of one benchrun invocation.
type Results struct {
	Systems   []System                               `json:"-"`
	Workloads []harness.Workload                     `json:"-"`
	Ran       []string                               `json:"systems,omitempty"` // the systems' names, for --render
	Runs      int                                    `json:"runs"`
	Warmup    string                                 `json:"warmup"`
	Duration  string                                 `json:"duration"`
	ByCell    map[string]map[string][]harness.Result `json:"results"` // system -> workload -> runs
	Failures  []Failure                              `json:"failures,omitempty"`
	Elapsed   time.Duration                          `json:"elapsedNs"`
	Machine   Machine                                `json:"machine"`
}

// Failure is a run that did not produce a result.
type Failure struct {
	System   string `json:"system"`
	Workload string `json:"workload"`
	Error    string `json:"error"`
}

func newResults(systems []System, works []harness.Workload, c *config) *Results {
	var ran []string
	for _, s := range systems {
		ran = append(ran, s.Name)
	}
	return &Results{
		Systems: systems, Workloads: works, Ran: ran, Runs: c.runs,
		Warmup: c.warmup.String(), Duration: c.duration.String(),
		ByCell: map[string]map[string][]harness.Result{},
	}
}

func (r *Results) add(x *harness.Result) {
	m := r.ByCell[x.System]
	if m == nil {
		m = map[string][]harness.Result{}
		r.ByCell[x.System] = m
	}
	m[x.Workload] = append(m[x.Workload], *x)
}

func (r *Results) fail(system, workload string, err error) {
	r.Failures = append(r.Failures, Failure{System: system, Workload: workload, Error: err.Error()})
}

// Cell is the summary of one system on one workload.
type Cell struct {
	N                 int
	Min, Median, Max  float64 // ops/s
	HostRSS, PlugRSS  int64   // KiB, highest of the runs
	HostAlloc, PlAllc float64 // mallocs per call, median
	Note              string
}

func (r *Results) cell(system, workload string) (Cell, bool) {
	runs := r.ByCell[system][workload]
	if len(runs) == 0 {
		return Cell{}, false
	}
	w, _ := harness.LookupWorkload(workload)
	per := allocUnits(w)
	var ops, ha, pa []float64
	c := Cell{N: len(runs), Note: runs[0].Note}
	for _, x := range runs {
		ops = append(ops, x.OpsPerSec)
		ha = append(ha, float64(x.HostMallocs)/(float64(x.Ops)*per))
		pa = append(pa, float64(x.PluginMallocs)/(float64(x.Ops)*per))
		c.HostRSS = max(c.HostRSS, x.HostHWMKiB)
		c.PlugRSS = max(c.PlugRSS, x.PluginHWMKiB)
	}
	slices.Sort(ops)
	c.Min, c.Median, c.Max = ops[0], median(ops), ops[len(ops)-1]
	c.HostAlloc, c.PlAllc = median(ha), median(pa)
	return c, true
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratio returns the ratio of a's median to b's on workload w.
func (r *Results) ratio(a, b, w string) (float64, bool) {
	ca, ok1 := r.cell(a, w)
	cb, ok2 := r.cell(b, w)
	if !ok1 || !ok2 || cb.Median == 0 {
		return 0, false
	}
	return ca.Median / cb.Median, true
}

// rateUnit names the unit of a workload's figures.
func rateUnit(w harness.Workload) string {
	switch w.Kind {
	case harness.KindEcho:
		return "MB/s each way"
	case harness.KindBytes:
		return "MB/s"
	case harness.KindInts:
		return "items/s"
	}
	return "calls/s"
}

// shortUnit is rateUnit without "each way".
func shortUnit(w harness.Workload) string { return strings.TrimSuffix(rateUnit(w), " each way") }

// rate converts ops/s to the workload's unit.
func rate(w harness.Workload, opsPerSec float64) float64 {
	switch w.Kind {
	case harness.KindEcho:
		return opsPerSec * float64(w.Bytes) / 1e6
	case harness.KindBytes:
		return opsPerSec * float64(w.Items) / 1e6
	case harness.KindInts:
		return opsPerSec * float64(w.Items)
	}
	return opsPerSec
}

func formatRate(w harness.Workload, opsPerSec float64) string {
	return fmt.Sprintf("%s %s", thousands(rate(w, opsPerSec)), shortUnit(w))
}

// allocUnits is what the allocation tables count per: a call, or for the
// stream workloads an item (ints) or a MiB (bytes) of each stream.
func allocUnits(w harness.Workload) float64 {
	switch w.Kind {
	case harness.KindInts:
		return float64(w.Items)
	case harness.KindBytes:
		return float64(w.Items) / (1 << 20)
	}
	return 1
}

// thousands formats v rounded, with thousands separators.
func thousands(v float64) string {
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }

// table renders a markdown table with padded columns.
func table(head []string, rows [][]string) string {
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = len([]rune(h))
	}
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(" " + c + pad + " |")
			} else {
				b.WriteString(" " + pad + c + " |")
			}
		}
		b.WriteString("\n")
	}
	line(head)
	b.WriteString("|")
	for i, w := range width {
		if i == 0 {
			b.WriteString(" " + strings.Repeat("-", w) + " |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
		}
	}
	b.WriteString("\n")
	for _, row := range rows {
		line(row)
	}
	return b.String()
}

func (r *Results) has(system string) bool {
	for _, s := range r.Systems {
		if s.Name == system {
			return true
		}
	}
	return false
}

// notRun reports whether benchrun does not run system on w (it has no
// streams).
func (r *Results) notRun(system string, w harness.Workload) bool {
	for _, s := range r.Systems {
		if s.Name == system {
			return !s.runs(w)
		}
	}
	return false
}

func (r *Results) hasStreams() bool {
	for _, w := range r.Workloads {
		if w.IsStream() {
			return true
		}
	}
	return false
}

// perCell renders one row per workload and one column per system.
// With units, the workload column names each row's unit; with perItem,
// the stream workloads' rows say what they count per.
func (r *Results) perCell(units, perItem bool, f func(w harness.Workload, c Cell) string) string {
	head := []string{"workload"}
	for _, s := range r.Systems {
		head = append(head, s.Name)
	}
	var rows [][]string
	for _, w := range r.Workloads {
		row := []string{w.Name}
		switch {
		case units:
			row[0] = fmt.Sprintf("%s (%s)", w.Name, rateUnit(w))
		case perItem && w.Kind == harness.KindInts:
			row[0] = w.Name + " (per item)"
		case perItem && w.Kind == harness.KindBytes:
			row[0] = w.Name + " (per MiB)"
		}
		for _, s := range r.Systems {
			c, ok := r.cell(s.Name, w.Name)
			if !ok && r.notRun(s.Name, w) {
				row = append(row, "n/a")
				continue
			}
			if !ok {
				row = append(row, "FAILED")
				continue
			}
			row = append(row, f(w, c))
		}
		rows = append(rows, row)
	}
	return table(head, rows)
}

func (r *Results) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := r.Machine
	p("# hostcall cross-system benchmark\n\n")
	p("Written by `cd bench && go run ./cmd/benchrun` (see [bench/README.md](../../bench/README.md)) on %s: ", m.Date)
	p("%s of each system on each workload, each run %s of warm-up then %s measured, ", plural(r.Runs, "run"), r.Warmup, r.Duration)
	p("host and plugin in separate processes, the plugin calling the host")
	if r.has("hostcall-h2p") {
		p(" (in hostcall-h2p, the host calling the plugin)")
	}
	p(". The whole run took %s.\n\n", r.Elapsed.Round(time.Second))
	p("Machine: %s, %d CPUs, %s RAM, %s, %s", m.CPU, m.NumCPU, m.MemTotal, m.Kernel, m.Go)
	if m.Commit != "" {
		p(", hostcall at %s", m.Commit)
	}
	p(". Peers: go-plugin %s, grpc %s, ttrpc %s, protobuf %s.\n\n", m.Peers["go-plugin"], m.Peers["grpc"], m.Peers["ttrpc"], m.Peers["protobuf"])
	p("![Throughput relative to raw pipes](chart.svg)\n\n")

	p("## Throughput, median of %s\n\n", plural(r.Runs, "run"))
	p("%s\n", r.perCell(true, false, func(w harness.Workload, c Cell) string { return thousands(rate(w, c.Median)) }))
	p("MB = 10^6 bytes; echo1m moves 1 MiB each way per call.")
	if r.hasStreams() {
		p(" ints100k and bytes256m are streams from the callee to the caller: items and bytes per second over whole streams, each stream opened by a call.")
		if n := r.noStreams(); n != "" {
			p(" n/a: %s.", n)
		}
	}
	p("\n\n")

	if r.has("hostcall") || r.has("hostcall-h2p") {
		p("## Ratios of medians\n\n")
	}
	if r.has("hostcall") {
		p("%s\n", r.ratios())
	}
	if r.has("hostcall-h2p") {
		p("The host calling the plugin (hostcall-h2p), next to the plugin calling the host (hostcall) and to the others, whose direction is the plugin calling the host:\n\n")
		p("%s\n", r.ratiosH2P())
	}
	if r.has("hostcall") {
		p("## Goals\n\n")
		p("%s\n", r.goals())
	}

	p("## Spread: min / median / max of %s\n\n", plural(r.Runs, "run"))
	p("%s\n", r.perCell(true, false, func(w harness.Workload, c Cell) string {
		return fmt.Sprintf("%s / %s / %s", thousands(rate(w, c.Min)), thousands(rate(w, c.Median)), thousands(rate(w, c.Max)))
	}))
	p("## Peak RSS, MiB: host / plugin (VmHWM, highest of the runs)\n\n")
	p("%s\n", r.perCell(false, false, func(_ harness.Workload, c Cell) string { return mib(c.HostRSS) + " / " + mib(c.PlugRSS) }))
	p("## Heap allocations per call: host / plugin (median)\n\n")
	p("%s\n", r.perCell(false, true, func(_ harness.Workload, c Cell) string {
		return fmt.Sprintf("%.1f / %.1f", c.HostAlloc, c.PlAllc)
	}))
	p("runtime.MemStats.Mallocs counted in each process over the measured window, divided by the calls")
	if r.hasStreams() {
		p(" (for the streams, by the items streamed, or the MiB)")
	}
	p(".")
	if r.has("hostcall-h2p") {
		p(" In hostcall-h2p the host is the caller and the plugin the callee, so its host column compares with the others' plugin column, and the other way round.")
	}
	p("\n\n")

	if len(r.Failures) > 0 {
		p("## Failed runs\n\n")
		for _, f := range r.Failures {
			p("- %s %s: %s\n", f.System, f.Workload, strings.ReplaceAll(f.Error, "\n", " "))
		}
		p("\n")
	}
	p("## Systems\n\n")
	for _, s := range r.Systems {
		p("- **%s**: %s.", s.Name, s.About)
		if s.NoStreams != "" && r.hasStreams() {
			p(" No stream workloads: %s.", s.NoStreams)
		}
		p("\n")
	}
	p("\n## Workloads\n\n")
	for _, w := range r.Workloads {
		p("- **%s**: %s.\n", w.Name, w.About)
	}
	return b.String()
}

// noStreams lists the systems without streams, with why.
func (r *Results) noStreams() string {
	var l []string
	for _, s := range r.Systems {
		if s.NoStreams != "" {
			l = append(l, s.Name+" ("+s.NoStreams+")")
		}
	}
	return strings.Join(l, ", ")
}

// ratioCol is one column of a ratio table: a's median ÷ b's.
type ratioCol struct{ a, b string }

// ratios renders hostcall's ratios to raw and each peer.
func (r *Results) ratios() string {
	var cols []ratioCol
	for _, s := range r.Systems {
		if s.Name != "hostcall" && s.Name != "hostcall-p1" && s.Name != "hostcall-h2p" {
			cols = append(cols, ratioCol{"hostcall", s.Name})
		}
	}
	if r.has("hostcall-p1") {
		for _, b := range []string{"raw", "ttrpc", "grpc"} {
			if r.has(b) {
				cols = append(cols, ratioCol{"hostcall-p1", b})
			}
		}
	}
	return r.ratioTable(cols)
}

// ratiosH2P renders hostcall-h2p's ratios to hostcall (the other
// direction), raw and each peer.
func (r *Results) ratiosH2P() string {
	var cols []ratioCol
	for _, s := range r.Systems {
		if s.Name != "hostcall-h2p" && s.Name != "hostcall-p1" {
			cols = append(cols, ratioCol{"hostcall-h2p", s.Name})
		}
	}
	return r.ratioTable(cols)
}

// ratioTable renders one row per workload and one column per ratio.
func (r *Results) ratioTable(cols []ratioCol) string {
	head := []string{"workload"}
	for _, c := range cols {
		head = append(head, c.a+" ÷ "+c.b)
	}
	var rows [][]string
	for _, w := range r.Workloads {
		row := []string{w.Name}
		for _, c := range cols {
			if x, ok := r.ratio(c.a, c.b, w.Name); ok {
				row = append(row, ratioText(x))
			} else {
				row = append(row, "-")
			}
		}
		rows = append(rows, row)
	}
	return table(head, rows)
}

// ratioText writes a ratio with two decimals, or two significant digits
// when it is below 0.1 (a stream of ints next to raw pipes: 0.0038×).
func ratioText(x float64) string {
	if x >= 0.1 || x <= 0 {
		return fmt.Sprintf("%.2f×", x)
	}
	digits := 1 - int(math.Floor(math.Log10(x)))
	return fmt.Sprintf("%.*f×", digits, x)
}

// goals checks the targets for hostcall.
func (r *Results) goals() string {
	var rows [][]string
	check := func(goal, got string, ok, known bool) {
		verdict := "met"
		switch {
		case !known:
			verdict, got = "not measured", "-"
		case !ok:
			verdict = "NOT MET"
		}
		rows = append(rows, []string{goal, got, verdict})
	}
	ratioGoal := func(goal, a, b, w string, min float64, strict bool) {
		x, ok := r.ratio(a, b, w)
		met := x >= min
		if strict {
			met = x > min
		}
		check(goal, fmt.Sprintf("%.2f×", x), met, ok)
	}
	ratioGoal("lat: hostcall ≥ 0.6× raw", "hostcall", "raw", "lat", 0.6, false)
	ratioGoal("lat: hostcall ≥ 2× ttrpc", "hostcall", "ttrpc", "lat", 2, false)
	ratioGoal("c64: hostcall ≥ 2× ttrpc", "hostcall", "ttrpc", "c64", 2, false)
	ratioGoal("echo1m: hostcall ≥ 0.75× raw", "hostcall", "raw", "echo1m", 0.75, false)
	ratioGoal("echo1m: hostcall > grpc", "hostcall", "grpc", "echo1m", 1, true)
	if w, ok := harness.LookupWorkload("echo1m"); ok {
		c, ok := r.cell("hostcall-p1", "echo1m")
		v := rate(w, c.Median)
		check("echo1m: hostcall-p1 ≥ 78 MB/s (3× 26)", fmt.Sprintf("%.0f MB/s", v), v >= 78, ok)
	}
	var peak int64
	known := false
	for _, w := range []string{"lat", "c8", "c64"} {
		if c, ok := r.cell("hostcall", w); ok {
			known = true
			peak = max(peak, c.HostRSS, c.PlugRSS)
		}
	}
	check("lat, c8, c64: hostcall peak RSS ≤ 12 MiB per process", mib(peak)+" MiB", peak <= 12*1024, known)
	if c, ok := r.cell("hostcall", "lat"); ok {
		rows = append(rows, []string{"allocations per call reported (lat: host / plugin)",
			fmt.Sprintf("%.1f / %.1f", c.HostAlloc, c.PlAllc), "reported"})
	}
	return table([]string{"goal", "measured", "verdict"}, rows)
}

// loadResults reads a results.json written by write, for --render.
func loadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range Systems {
		// Older files do not list the systems: those with results.
		if _, ok := r.ByCell[s.Name]; ok || slices.Contains(r.Ran, s.Name) {
			r.Systems = append(r.Systems, s)
		}
	}
	for _, w := range harness.Workloads {
		for _, s := range r.Systems {
			if _, ok := r.ByCell[s.Name][w.Name]; ok {
				r.Workloads = append(r.Workloads, w)
				break
			}
		}
	}
	if len(r.Systems) == 0 || len(r.Workloads) == 0 {
		return nil, fmt.Errorf("%s: no results", path)
	}
	return &r, nil
}

// write saves RESULTS.md, chart.svg and results.json in dir.
func (r *Results) write(dir, report string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "RESULTS.md"), []byte(report), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "chart.svg"), []byte(r.chart()), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644)
}
