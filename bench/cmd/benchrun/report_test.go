package main

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999.4: "999", 1000: "1,000", 1234567.8: "1,234,568"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestRatioText(t *testing.T) {
	for x, want := range map[float64]string{1.234: "1.23×", 0.1: "0.10×", 0.0384: "0.038×", 0.00384: "0.0038×", 0: "0.00×"} {
		if got := ratioText(x); got != want {
			t.Errorf("ratioText(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median of 3 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 = %v", m)
	}
}

// TestReport renders the report and the chart of made-up results, one
// cell failed, and checks the chart is well-formed XML.
func TestReport(t *testing.T) {
	c := &config{runs: 2, warmup: time.Millisecond, duration: time.Second}
	r := newResults(Systems, harness.Workloads, c)
	for i, s := range Systems {
		for _, w := range harness.Workloads {
			if !s.runs(w) {
				continue // benchrun does not run it: n/a
			}
			if s.Name == "grpc" && w.Name == "echo1m" {
				r.fail(s.Name, w.Name, io.ErrUnexpectedEOF)
				continue
			}
			for run := 0; run < 2; run++ {
				r.add(&harness.Result{System: s.Name, Workload: w.Name, Ops: 1000, Seconds: 1,
					OpsPerSec: float64(1000 * (i + 1 + run)), HostHWMKiB: 9000, PluginHWMKiB: 10000,
					HostMallocs: 3000, PluginMallocs: 2000})
			}
		}
	}
	md := r.markdown()
	for _, want := range []string{"| lat (calls/s)", "hostcall ÷ raw", "hostcall-h2p ÷ hostcall", "NOT MET", "FAILED", "3.0 / 2.0",
		"| ints100k (items/s)", "| bytes256m (MB/s)", "| ints100k (per item)", "n/a", "net/rpc has no streams"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	// raw: 1000 and 2000 streams of 100,000 ints a second, median 1.5e8
	// items/s; 3000 host allocations over 10^8 items.
	if c, _ := r.cell("raw", "ints100k"); rate(harness.Workloads[5], c.Median) != 1.5e8 || math.Abs(c.HostAlloc-3e-5) > 1e-12 {
		t.Errorf("raw ints100k: %v items/s, %v allocations per item", rate(harness.Workloads[5], c.Median), c.HostAlloc)
	}
	chart := r.chart()
	if !strings.Contains(chart, ">n/a<") || !strings.Contains(chart, ">failed<") {
		t.Errorf("the chart lacks its n/a or failed bars")
	}
	d := xml.NewDecoder(strings.NewReader(chart))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed: %v", err)
		}
	}
}
