//go:build linux

package process

import (
	"bufio"
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/pluginexec"
)

// stalledMaxInFlight is the in-flight bound of the stalled reader case.
const stalledMaxInFlight = 64

// maxHeapGrowth bounds the host's heap growth while a plugin stalls: a
// generous bound that only unbounded growth breaks. The host should hold
// about stalledMaxInFlight responses of bigSize plus its writer's queue.
const maxHeapGrowth = 256 << 20

// TestStalledReader runs a plugin that sends calls to faults.big (64 KiB
// results) as fast as it can and never reads a response. The host must stop
// reading from it once its in-flight bound and its writer's queue are full,
// with memory bounded, while it serves another plugin as usual; canceling
// the stalled run must then end it.
func TestStalledReader(t *testing.T) {
	checkLeaks(t)
	plug := testPlugin(t)
	s := newHostState()
	tr := newTracker(2)
	mem := startMemSampler(t)
	e := startExec(t, runs(plug, commandOf(t, plug, "stall"), commandOf(t, plug, "bystander")),
		pluginexec.WithExecParallelism(2), tr.option(),
		host.Bind(s.registry(), host.WithServeOptions(host.WithMaxInFlight(stalledMaxInFlight))))

	// The stall: the host has started calls, and starts no more.
	stallStart := time.Now()
	var stalledAt int64
	waitFor(t, 60*time.Second, "the stalled plugin's calls to stop being started", func() bool {
		n := s.bigCalls.Load()
		if n < stalledMaxInFlight || n != stalledAt {
			stalledAt = n
			stallStart = time.Now()
			return false
		}
		return time.Since(stallStart) >= time.Second
	})
	// What the host holds: the calls in flight, each blocked sending its
	// response, and the responses its writer queued or is writing, each up
	// to the queue limit and one frame over it. Twice that, to be safe from
	// accounting details: only unbounded reading breaks it.
	held := int64(2 * (stalledMaxInFlight + 2*(wire.DefaultQueueLimit/bigSize+1)))
	if stalledAt > held {
		t.Errorf("the host started %d calls of a plugin that reads no response: more than the %d its in-flight bound and writer queue explain", stalledAt, held)
	}

	// Meanwhile another plugin is served.
	bystanderFrom := time.Now()
	s.openGate()
	waitFor(t, 60*time.Second, "1000 bystander calls during the stall", func() bool { return s.echoed.Load() >= 1000 })
	s.stop.Store(true)
	end := tr.wait(t, 30*time.Second)
	bystanderTook := end.at.Sub(bystanderFrom)
	if end.cmd != "bystander" || end.err != nil {
		t.Fatalf("run %q ended first with %v, want the bystander, successful", end.cmd, end.err)
	}
	if n, ok := bystanderOK(e.stdout.String()); !ok || int64(n) != s.echoed.Load() {
		t.Errorf("the bystander printed %q, want \"ok %d\"", e.stdout.String(), s.echoed.Load())
	}
	// A second without a new call is how the test saw the stall begin; on
	// a loaded machine a call or two may still have been on its way. What
	// must hold is the bound: however long the stall, no more calls than
	// the in-flight bound and the writer's queue explain.
	if n := s.bigCalls.Load(); n > held {
		t.Errorf("the host started %d calls of the stalled plugin by the end of the stall (%d when it was seen): more than the %d its bounds explain, it is not stalled", n, stalledAt, held)
	}
	peak := mem.finish()

	// Cancel the stalled run.
	cancelAt := time.Now()
	e.cancel()
	err := e.wait(t, 30*time.Second)
	returned := time.Since(cancelAt)
	end = tr.wait(t, time.Second)
	if end.cmd != "stall" || !errors.Is(end.err, context.Canceled) || !errors.Is(err, context.Canceled) {
		t.Errorf("after the cancel, run %q ended with %v and Exec returned %v; want the stalled run, its error wrapping context.Canceled", end.cmd, end.err, err)
	}
	t.Logf("the canceled stalled run's error: %v", end.err)

	growth := int64(peak.heapInuse) - int64(peak.baseHeapInuse)
	if growth > maxHeapGrowth {
		t.Errorf("the host's heap grew by %d MiB while the plugin stalled, over the bound of %d MiB", growth>>20, maxHeapGrowth>>20)
	}
	t.Logf("FIGURE stalled-reader: in-flight bound %d, %d calls started before the stall; peak host memory: HeapInuse +%.1f MiB (%.1f MiB, from %.1f), VmRSS %.1f MiB (from %.1f), over %d samples",
		stalledMaxInFlight, stalledAt, mib(growth), mib(int64(peak.heapInuse)), mib(int64(peak.baseHeapInuse)),
		mib(int64(peak.rss)), mib(int64(peak.baseRSS)), peak.samples)
	t.Logf("FIGURE stalled-reader: the other plugin made %d verified calls in %s during the stall; Exec returned %s after the stalled run was canceled",
		s.echoed.Load(), ms(bystanderTook), ms(returned))
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// memPeak is what a memSampler saw.
type memPeak struct {
	baseHeapInuse, heapInuse uint64
	baseRSS, rss             uint64 // bytes
	samples                  int
}

// memSampler samples the process's HeapInuse and VmRSS every 10ms.
type memSampler struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
	peak memPeak
}

func startMemSampler(t *testing.T) *memSampler {
	runtime.GC()
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	m := &memSampler{stop: make(chan struct{}), done: make(chan struct{})}
	m.peak.baseHeapInuse, m.peak.heapInuse = st.HeapInuse, st.HeapInuse
	m.peak.baseRSS = vmRSS()
	m.peak.rss = m.peak.baseRSS
	go func() {
		defer close(m.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&st)
			m.peak.heapInuse = max(m.peak.heapInuse, st.HeapInuse)
			m.peak.rss = max(m.peak.rss, vmRSS())
			m.peak.samples++
		}
	}()
	t.Cleanup(func() { m.finish() })
	return m
}

// finish stops the sampler and returns the peaks.
func (m *memSampler) finish() memPeak {
	m.once.Do(func() { close(m.stop) })
	<-m.done
	return m.peak
}

// vmRSS returns the process's resident set size in bytes, 0 if unknown.
func vmRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
