package main

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

var colors = map[string]string{
	"raw":          "#8c8c8c",
	"hostcall":     "#1f5fbf",
	"hostcall-p1":  "#8fb3e8",
	"hostcall-h2p": "#6a3fb0",
	"netrpc":       "#e8871e",
	"grpc":         "#2e9e44",
	"ttrpc":        "#c9352b",
}

// chart draws the medians as grouped bars, one group per workload, each
// bar the system's median divided by the baseline's (raw pipes when they
// were run) on a linear scale.
func (r *Results) chart() string {
	base := "raw"
	if !r.has(base) {
		base = r.Systems[0].Name
	}
	const (
		width, height          = 1000, 560
		left, right, top, bott = 64, 24, 96, 110
	)
	plotW, plotH := float64(width-left-right), float64(height-top-bott)

	ratios := map[[2]string]float64{}
	maxRatio := 1.0
	for _, w := range r.Workloads {
		for _, s := range r.Systems {
			if x, ok := r.ratio(s.Name, base, w.Name); ok {
				ratios[[2]string{s.Name, w.Name}] = x
				maxRatio = max(maxRatio, x)
			}
		}
	}
	step := 0.25
	switch {
	case maxRatio > 5:
		step = 1
	case maxRatio > 2:
		step = 0.5
	}
	yMax := math.Ceil(maxRatio*1.08/step) * step
	y := func(v float64) float64 { return float64(top) + plotH*(1-v/yMax) }

	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="28" font-size="18" font-weight="bold" fill="#222">Throughput relative to %s (median of %s; higher is better)</text>`+"\n",
		left, html.EscapeString(baseName(base)), plural(r.Runs, "run"))
	direction := "the plugin calling the host"
	if r.has("hostcall-h2p") {
		direction += " (in hostcall-h2p, the reverse)"
	}
	p(`<text x="%d" y="48" font-size="12" fill="#555">Host and plugin in separate processes, %s. %s, %d CPUs, %s.</text>`+"\n",
		left, direction, html.EscapeString(r.Machine.CPU), r.Machine.NumCPU, html.EscapeString(r.Machine.Go))

	// Legend.
	lx := float64(left)
	for _, s := range r.Systems {
		p(`<rect x="%.1f" y="62" width="12" height="12" fill="%s"/>`, lx, colors[s.Name])
		p(`<text x="%.1f" y="72" font-size="12" fill="#222">%s</text>`+"\n", lx+16, html.EscapeString(s.Name))
		lx += 22 + 7.5*float64(len(s.Name)) + 18
	}

	// Grid and axis.
	for v := 0.0; v <= yMax+1e-9; v += step {
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e3e3e3"/>`, left, y(v), width-right, y(v))
		p(`<text x="%d" y="%.1f" font-size="11" fill="#555" text-anchor="end">%s×</text>`+"\n", left-6, y(v)+4, trimFloat(v))
	}
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#444" stroke-dasharray="6 4"/>`, left, y(1), width-right, y(1))
	p(`<text x="%d" y="%.1f" font-size="11" fill="#444" text-anchor="end">%s = 1×</text>`+"\n", width-right, y(1)-4, html.EscapeString(base))

	// Bars.
	groupW := plotW / float64(len(r.Workloads))
	barW := groupW * 0.82 / float64(len(r.Systems))
	for gi, w := range r.Workloads {
		gx := float64(left) + groupW*float64(gi) + groupW*0.09
		for si, s := range r.Systems {
			x := gx + barW*float64(si)
			v, ok := ratios[[2]string{s.Name, w.Name}]
			if !ok && r.notRun(s.Name, w) {
				p(`<text x="%.1f" y="%.1f" font-size="10" fill="#777" text-anchor="middle">n/a</text>`+"\n", x+barW/2, y(0)-4)
				continue
			}
			if !ok {
				p(`<text x="%.1f" y="%.1f" font-size="10" fill="#c00" text-anchor="middle">failed</text>`+"\n", x+barW/2, y(0)-4)
				continue
			}
			h := math.Max(1, y(0)-y(v))
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s (%.2f× %s)</title></rect>`,
				x+1, y(0)-h, barW-2, h, colors[s.Name], html.EscapeString(s.Name), w.Name,
				html.EscapeString(r.medianText(s.Name, w)), v, html.EscapeString(base))
			p(`<text x="%.1f" y="%.1f" font-size="10" fill="#222" text-anchor="middle">%s</text>`+"\n", x+barW/2, y(0)-h-4, ratioLabel(v))
		}
		cx := float64(left) + groupW*(float64(gi)+0.5)
		p(`<text x="%.1f" y="%d" font-size="14" font-weight="bold" fill="#222" text-anchor="middle">%s</text>`+"\n", cx, height-bott+22, w.Name)
		p(`<text x="%.1f" y="%d" font-size="11" fill="#555" text-anchor="middle">%s: %s</text>`+"\n", cx, height-bott+40,
			html.EscapeString(base), html.EscapeString(r.medianText(base, w)))
		if s := r.medianText("hostcall", w); r.has("hostcall") && s != "" {
			p(`<text x="%.1f" y="%d" font-size="11" fill="#1f5fbf" text-anchor="middle">hostcall: %s</text>`+"\n", cx, height-bott+56, html.EscapeString(s))
		}
	}
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#444"/>`+"\n", left, y(0), width-right, y(0))
	legend := "lat: 1 caller, add(int, int); c8, c64: 8 and 64 goroutines calling add; echo1m: 1 MiB each way, 1 caller; struct4k: ~4 KiB nested struct, 1 caller."
	if r.hasStreams() {
		legend = "lat: add(int, int); c8, c64: 8, 64 goroutines calling add; echo1m: 1 MiB each way; struct4k: ~4 KiB struct; ints100k, bytes256m: streams of 100,000 ints, 256 MiB."
	}
	p(`<text x="%d" y="%d" font-size="11" fill="#777">%s</text>`+"\n", left, height-30, html.EscapeString(legend))
	p(`<text x="%d" y="%d" font-size="11" fill="#777">Generated by cd bench &amp;&amp; go run ./cmd/benchrun on %s; numbers and method in RESULTS.md.</text>`+"\n",
		left, height-14, html.EscapeString(r.Machine.Date))
	p("</svg>\n")
	return b.String()
}

func baseName(base string) string {
	if base == "raw" {
		return "raw blocking pipes"
	}
	return base
}

// medianText is system's median on w in the workload's unit, short.
func (r *Results) medianText(system string, w harness.Workload) string {
	c, ok := r.cell(system, w.Name)
	if !ok {
		return ""
	}
	v := rate(w, c.Median)
	unit := shortUnit(w)
	if v >= 10000 {
		return fmt.Sprintf("%.0fk %s", v/1000, unit)
	}
	return fmt.Sprintf("%s %s", thousands(v), unit)
}

func ratioLabel(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
