package input

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// runTimeout is the liveness watchdog of one plugin run: a run still going
// after it is a hang (its plugin is killed and the test fails).
const runTimeout = 2 * time.Minute

// faultRegistry is the golden transcripts' registry plus the faults
// namespace, whose services count their runs in invoked.
func faultRegistry(invoked *atomic.Int64) *registry.Registry {
	reg := hosttest.Registry()
	reg.AddServices(registry.Services{"faults": {
		"add":   func(a, b int) int { invoked.Add(1); return a + b },
		"len":   func(s string) int { invoked.Add(1); return len(s) },
		"blob":  func(b []byte) int { invoked.Add(1); return len(b) },
		"depth": func(v any) int { invoked.Add(1); return depth(v) },
	}})
	return reg
}

// depth is how deeply arrays nest in v.
func depth(v any) int {
	a, ok := v.([]any)
	if !ok {
		return 0
	}
	d := 0
	for _, e := range a {
		d = max(d, depth(e))
	}
	return d + 1
}

func testPlugin(t *testing.T) *pluginexec.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pluginexec.NewPlugin(context.Background(), exe, pluginexec.WithEnv(pluginEnv+"=1", "GORACE=atexit_sleep_ms=0"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pluginRun is what one run of the plugin left.
type pluginRun struct {
	tally   tally
	err     error  // Exec's
	stderr  string // the plugin's
	hostLog string // the host's error log
	invoked int64  // runs of faults.* services
}

// runPlugin runs one command of the plugin, bound to a fault registry with
// the frame limit maxFrame, and checks that it leaves no goroutine and no
// descriptor behind.
func runPlugin(t *testing.T, plug *pluginexec.Plugin, command string) pluginRun {
	t.Helper()
	hosttest.CheckGoroutines(t)
	checkFDs(t)
	var invoked atomic.Int64
	var stdout, stderr, hostLog hosttest.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	err := pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, command), nil,
		pluginexec.WithEnv(pluginEnv+"=1", "GORACE=atexit_sleep_ms=0"),
		pluginexec.WithStdout(&stdout), pluginexec.WithStderr(&stderr),
		host.Bind(faultRegistry(&invoked), host.WithServeOptions(
			host.WithMaxFrameSize(maxFrame),
			host.WithErrorLog(log.New(&hostLog, "", 0)))))
	if ctx.Err() != nil {
		t.Fatalf("plugin %s still running after %v: hung (Exec: %v)\nplugin stderr:\n%s", command, runTimeout, err, stderr.String())
	}
	run := pluginRun{err: err, stderr: stderr.String(), hostLog: hostLog.String(), invoked: invoked.Load()}
	if jerr := json.Unmarshal([]byte(stdout.String()), &run.tally); jerr != nil {
		t.Fatalf("plugin %s printed no tally (%v): stdout %q, Exec: %v\nplugin stderr:\n%s", command, jerr, stdout.String(), err, run.stderr)
	}
	for _, f := range run.tally.Failures {
		t.Errorf("plugin check failed: %s", f)
	}
	for _, b := range run.tally.KnownBugs {
		t.Logf("KNOWN BUG: %s", b)
	}
	if run.invoked != int64(run.tally.Invoked) {
		t.Errorf("the host ran faults services %d times, the plugin got %d of their replies: a bad frame ran a service, or a reply was lost",
			run.invoked, run.tally.Invoked)
	}
	if n := strings.Count(run.hostLog, "dropped a frame with no recoverable sequence"); n != run.tally.Dropped {
		t.Errorf("the host logged %d dropped frames, the plugin sent %d frames to drop; host log:\n%s", n, run.tally.Dropped, run.hostLog)
	}
	if t.Failed() {
		t.Logf("plugin stderr:\n%s", run.stderr)
	}
	return run
}

// TestPluginBadInput runs real plugin processes that write every kind of
// bad input of PROTOCOL.md section 5, each followed by a valid call.
func TestPluginBadInput(t *testing.T) {
	plug := testPlugin(t)
	tried := map[string]int{}
	outcomes := map[string]int{}
	add := func(r pluginRun) {
		for k, n := range r.tally.Tried {
			tried[k] += n
		}
		for k, n := range r.tally.Outcomes {
			outcomes[k] += n
		}
	}
	valid := 0

	t.Run("every kind, each followed by a valid call", func(t *testing.T) {
		r := runPlugin(t, plug, cmdMixed)
		add(r)
		valid += r.tally.Valid
		if r.err != nil {
			t.Errorf("Exec: %v", r.err)
		}
		if want := len(mixedSteps()); r.tally.Valid != want {
			t.Errorf("%d valid calls answered correctly, want %d (one after each input)", r.tally.Valid, want)
		}
	})

	t.Run("1 GiB object, host memory bounded", func(t *testing.T) {
		runtime.GC()
		baseHeap, baseRSS := heapInuse(), procStatusKiB("VmRSS")
		s := startSampler(5 * time.Millisecond)
		r := runPlugin(t, plug, cmdHuge)
		s.Stop()
		add(r)
		valid += r.tally.Valid
		if r.err != nil {
			t.Errorf("Exec: %v", r.err)
		}
		if r.tally.Valid != 1 || r.tally.Outcomes["too_large"] != 1 {
			t.Errorf("tally %+v: want the object answered too_large and the valid call after it served", r.tally)
		}
		growHeap := int64(s.peakHeap) - int64(baseHeap)
		growRSS := (s.peakRSS - baseRSS) << 10
		t.Logf("FIGURE host-memory-1GiB-object: peak HeapInuse %s (baseline %s, +%s), peak VmRSS %s (baseline %s, +%s), %d samples; frame limit %s; plugin peak RSS %s",
			mib(s.peakHeap), mib(baseHeap), mib(uint64(max(growHeap, 0))), mib(uint64(s.peakRSS<<10)), mib(uint64(baseRSS<<10)),
			mib(uint64(max(growRSS, 0))), s.samples, mib(maxFrame), mib(uint64(r.tally.MaxRSSKiB<<10)))
		// The framer holds up to the limit before it knows a frame is too
		// large; with its growth by doubling and garbage not yet collected,
		// a few times that. Buffering the object would be 1 GiB.
		if limit := int64(4*maxFrame + 16<<20); growHeap > limit {
			t.Errorf("host heap grew by %s while a 1 GiB object streamed through, want at most %s", mib(uint64(growHeap)), mib(uint64(limit)))
		}
		if limit := int64(256 << 20); growRSS > limit {
			t.Errorf("host resident size grew by %s while a 1 GiB object streamed through, want at most %s", mib(uint64(growRSS)), mib(uint64(limit)))
		}
		if limit := int64(256 << 10); r.tally.MaxRSSKiB > limit {
			t.Errorf("the plugin's peak resident size is %d KiB: it did not stream the object", r.tally.MaxRSSKiB)
		}
	})

	t.Run("stream ends inside an object", func(t *testing.T) {
		cases := []struct {
			command string
			want    string // in Exec's error
			status  int    // the plugin's exit status
		}{
			{cmdCutString, "stream ended inside a frame (%d bytes read)", 0},
			{cmdCutHuge, "stream ended inside a frame (%d bytes read)", 0},
			{cmdCutBlobs, "reading blob 0 of 1000 bytes: stream ended inside a frame (inside blobs)", 0},
			{cmdCutNested, "stream ended inside a frame (%d bytes read)", 0},
			{cmdCutCrash, "stream ended inside a frame (%d bytes read)", 3},
		}
		for _, tc := range cases {
			t.Run(tc.command, func(t *testing.T) {
				r := runPlugin(t, plug, tc.command)
				add(r)
				valid += r.tally.Valid
				if r.tally.Valid != 1 {
					t.Errorf("the valid call before the cut was not answered: tally %+v", r.tally)
				}
				checkCutError(t, r.err, tc.command, tc.want, tc.status)
			})
		}
	})

	var kinds []string
	total := 0
	for k, n := range tried {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		total += n
	}
	sort.Strings(kinds)
	var outs []string
	for k, n := range outcomes {
		outs = append(outs, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(outs)
	t.Logf("FIGURE bad-inputs: %s total=%d; outcomes: %s; valid calls answered between them: %d",
		strings.Join(kinds, " "), total, strings.Join(outs, " "), valid)
}

// cutSizes is how many bytes of the cut object each command writes (its
// sequence is 2: the valid call before it took 1).
var cutSizes = map[string]int{
	cmdCutString: len(`{"sequence":2,"type":"call","namespace":"ca`),
	cmdCutCrash:  len(`{"sequence":2,"type":"call","namespace":"ca`),
	cmdCutHuge:   len(`{"sequence":2,"type":"call","namespace":"faults","name":"len","args":["`) + 12<<20,
	cmdCutNested: len(`{"sequence":2,"type":"call","namespace":"faults","name":"add","args":`) + 100000,
}

// checkCutError checks Exec's error for a plugin that exited mid-frame:
// the Serve error, joined to it, says the stream was truncated and how much
// of the frame was read.
func checkCutError(t *testing.T, err error, command, want string, status int) {
	t.Helper()
	if strings.Contains(want, "%d") {
		want = fmt.Sprintf(want, cutSizes[command])
	}
	if !errors.Is(err, wire.ErrTruncated) || !strings.Contains(fmt.Sprint(err), want) {
		t.Errorf("Exec returned %v, want an error wrapping wire.ErrTruncated that says %q", err, want)
	}
	var ee *pluginexec.ExitError
	switch {
	case status == 0 && errors.As(err, &ee):
		t.Errorf("Exec returned %v, want no exit error: the plugin exited 0", err)
	case status != 0 && (!errors.As(err, &ee) || ee.ExitCode != status):
		t.Errorf("Exec returned %v, want the plugin's exit status %d", err, status)
	}
}
