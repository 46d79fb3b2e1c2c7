//go:build linux

package process

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/opener"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// The memory tests' processes: a host process that measures its own peak
// resident size (VmHWM) while one plugin sends what the case says, and
// that plugin, which speaks the protocol raw.
const (
	memoryHostRole   = "memory-host"
	memoryPluginRole = "memory-plugin"
	memoryCaseEnv    = "HOSTCALL_FAULTS_MEMORY" // the memCase, as JSON
)

const miB = 1 << 20 // a mebibyte

// memCase is what the plugin sends and how the host is set up.
type memCase struct {
	Name        string
	Kind        string // "huge": one object of Size bytes, then a small call; "string", "any" or "map": Calls calls at once
	MaxFrame    int    // host.WithMaxFrameSize
	MaxInFlight int    // host.WithMaxInFlight, 0 for the default
	MaxPending  int    // host.WithMaxPendingBytes, 0 for the default
	Calls       int    // calls sent at once, each with Size bytes of arguments
	Size        int    // wire bytes of the object, or of each call's arguments
}

// memResult is the host process's report, one JSON line on stdout.
type memResult struct {
	BaselineKiB int64  `json:"baselineKiB"` // VmRSS once set up, before the plugin starts
	PeakKiB     int64  `json:"peakKiB"`     // VmHWM once the plugin is done
	MaxRunning  int64  `json:"maxRunning"`  // services running at once, at most
	Err         string `json:"err"`         // Exec's error
}

// growth is how much the host's resident size grew, in bytes.
func (r memResult) growth() int64 { return (r.PeakKiB - r.BaselineKiB) << 10 }

var memoryManifest = pluginexec.Manifest{
	Name:     "memory",
	Version:  "1.0.0",
	Commands: []pluginexec.Command{{Path: []string{"send"}, Type: "send"}},
}

// TestHostMemoryBounded measures the host process's peak resident size
// (VmHWM) while a plugin process sends it what costs memory, and checks it
// against what SECURITY.md says a plugin can make the host hold:
//
//   - a 1 GiB object with a frame limit of 64 MiB, and of 16 MiB: the
//     framer's buffer grows to about the limit, not to a multiple of it;
//   - with the settings SECURITY.md recommends for untrusted plugins, 136
//     calls at once with string arguments of about the frame limit, to a
//     service that holds them: the pending-bytes budget bounds them, and
//     the formula of SECURITY.md is within 1.5x of the measure;
//   - the same with []any arguments, which decode to many times their wire
//     size: the measured amplification is logged, and the growth is within
//     1.5x of the formula with the amplification SECURITY.md states.
//
// The growth is measured in a host process of its own, so that other tests
// do not skew it.
func TestHostMemoryBounded(t *testing.T) {
	hardened := func(name, kind string) memCase {
		// SECURITY.md's settings for untrusted plugins.
		return memCase{Name: name, Kind: kind, MaxFrame: 1 * miB, MaxInFlight: 64, MaxPending: 16 * miB,
			Calls: 2*64 + 8, Size: 1*miB - 256}
	}
	cases := []memCase{
		{Name: "1GiB object, 64MiB frames", Kind: "huge", MaxFrame: 64 * miB, Size: 1 << 30},
		{Name: "1GiB object, 16MiB frames", Kind: "huge", MaxFrame: 16 * miB, Size: 1 << 30},
		hardened("hardened, string arguments", "string"),
		{Name: "1MiB frames, 64 in flight, default budget, string arguments", Kind: "string", MaxFrame: 1 * miB, MaxInFlight: 64,
			Calls: 2*64 + 8, Size: 1*miB - 256},
		hardened("hardened, []any arguments", "any"),
		hardened("hardened, map[string]any arguments", "map"),
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			checkLeaks(t)
			r := runMemoryHost(t, tc)
			if r.Err != "" {
				t.Fatalf("the host's run of the plugin failed: %s", r.Err)
			}
			grew := r.growth()
			want := memFormula(tc)
			t.Logf("FIGURE host-memory %s: VmHWM +%.1f MiB (baseline %.1f MiB); SECURITY.md's formula %.1f MiB (%.2fx); at most %d services running",
				tc.Name, float64(grew)/miB, float64(r.BaselineKiB<<10)/miB, float64(want)/miB, float64(grew)/float64(want), r.MaxRunning)
			if amp, ok := amplification[tc.Kind]; ok && !raceEnabled {
				dec := (float64(grew) - 2.25*float64(tc.MaxFrame) - float64(tc.MaxPending)) / float64(r.MaxRunning*int64(tc.Size))
				t.Logf("FIGURE host-memory %s decoding: about %.1f resident bytes per wire byte of a running call's arguments (SECURITY.md states %d)",
					tc.Kind, dec, amp)
			}
			if raceEnabled {
				want *= raceFactor
			}
			if hi := want * 3 / 2; grew > hi {
				t.Errorf("the host's peak resident size grew by %.1f MiB, over 1.5x the %.1f MiB that SECURITY.md's formula gives",
					float64(grew)/miB, float64(want)/miB)
			}
			if lo := want * 2 / 3; tc.Kind == "string" && !raceEnabled && grew < lo {
				t.Errorf("the host's peak resident size grew by %.1f MiB, under 1/1.5 of the %.1f MiB that SECURITY.md's formula gives: the formula overstates",
					float64(grew)/miB, float64(want)/miB)
			}
		})
	}
}

// amplification is the decoding amplification of dynamic arguments that
// SECURITY.md states: resident bytes per wire byte of a running call's
// arguments, by kind.
var amplification = map[string]int64{"any": 26, "map": 12}

// raceFactor is how many times more resident memory the race detector's
// shadow makes the host hold: measured, about 3.
const raceFactor = 4

// memFormula is what SECURITY.md says the host can be made to hold in case
// tc: the frame buffer (the frame limit and a quarter, its growth); for
// calls, the call the reader holds while it waits for room (up to the frame
// limit) and the pending calls' arguments (the budget), twice for strings
// (the raw arguments and the decoded value of a running call), 1+amp times
// for dynamic types.
func memFormula(tc memCase) int64 {
	buffer := int64(tc.MaxFrame) * 5 / 4
	if tc.Kind == "huge" {
		return buffer
	}
	waiting := int64(tc.MaxFrame)
	budget := int64(tc.MaxPending)
	if budget == 0 {
		budget = host.DefaultMaxPendingBytes
	}
	pending := min(budget, int64(tc.Calls)*int64(tc.Size))
	if amp, ok := amplification[tc.Kind]; ok {
		return buffer + waiting + (1+amp)*pending
	}
	return buffer + waiting + 2*pending
}

// runMemoryHost runs the host process of case tc and returns its report.
func runMemoryHost(t *testing.T, tc memCase) memResult {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := json.Marshal(tc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), roleEnv+"="+memoryHostRole, memoryCaseEnv+"="+string(spec), noRaceSleep)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("watchdog: the host process still ran after 3 minutes\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("host process: %v\n%s", err, stderr.String())
	}
	var r memResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("host process's report %q: %v\n%s", stdout.String(), err, stderr.String())
	}
	return r
}

// memoryHostMain is the host process: it serves mem.string and mem.any,
// which hold their calls until the number of running calls has settled
// (the reader is then waiting for room), and mem.len, which returns at
// once; it runs the plugin once and reports its peak resident size.
func memoryHostMain() int {
	var tc memCase
	if err := json.Unmarshal([]byte(os.Getenv(memoryCaseEnv)), &tc); err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	env := pluginexec.WithEnv(roleEnv+"="+memoryPluginRole, memoryCaseEnv+"="+os.Getenv(memoryCaseEnv), noRaceSleep)
	ctx := context.Background()
	plug, err := pluginexec.NewPlugin(ctx, exe, env)
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	var running, maxRunning atomic.Int64
	release := make(chan struct{})
	hold := func(ctx context.Context) {
		n := running.Add(1)
		for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		running.Add(-1)
	}
	reg := registry.New()
	reg.AddService("mem", "string", func(ctx context.Context, s string) (int, error) { hold(ctx); return len(s), nil })
	reg.AddService("mem", "any", func(ctx context.Context, v []any) (int, error) { hold(ctx); return len(v), nil })
	reg.AddService("mem", "map", func(ctx context.Context, m map[string]any) (int, error) { hold(ctx); return len(m), nil })
	reg.AddService("mem", "len", func(s string) (int, error) { return len(s), nil })
	serve := []host.ServeOption{host.WithMaxFrameSize(tc.MaxFrame), host.WithMaxInFlight(tc.MaxInFlight)}
	if tc.MaxPending > 0 {
		serve = append(serve, host.WithMaxPendingBytes(tc.MaxPending))
	}
	done := make(chan struct{})
	go releaseWhenSettled(&running, release, done)

	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil { // resets VmHWM
		fmt.Fprintln(os.Stderr, "host: resetting VmHWM:", err)
		return 1
	}
	r := memResult{BaselineKiB: procStatusKiB("VmRSS")}
	err = pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, "send"), nil, env,
		pluginexec.WithStderr(os.Stderr), host.Bind(reg, host.WithServeOptions(serve...)))
	r.PeakKiB = procStatusKiB("VmHWM")
	close(done)
	r.MaxRunning = maxRunning.Load()
	if err != nil {
		r.Err = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	return 0
}

// releaseWhenSettled closes release once services run and, for a while,
// neither their number changed nor the process used more than a sliver of
// CPU: the host's reader then waits for room, the admitted calls' arguments
// are decoded, and what the plugin made the host hold is held.
func releaseWhenSettled(running *atomic.Int64, release, done chan struct{}) {
	const settle = 500 * time.Millisecond
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last, since, cpu := int64(0), time.Now(), cpuTicks()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if n := running.Load(); n != last {
			last, since, cpu = n, time.Now(), cpuTicks()
		} else if time.Since(since) > settle {
			if c := cpuTicks(); n > 0 && c-cpu <= 5 { // 50 ms of CPU in 500 ms
				close(release)
				return
			} else {
				since, cpu = time.Now(), c
			}
		}
	}
}

// cpuTicks returns the CPU time the process used, user and system, in
// clock ticks (fields 14 and 15 of /proc/self/stat).
func cpuTicks() int64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')') // the command name may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// procStatusKiB returns field (VmRSS, VmHWM) of /proc/self/status, in KiB.
func procStatusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// memoryPluginMain is the plugin: it sends what its case says, raw, and
// checks the answers.
func memoryPluginMain(args []string) int {
	if handled, err := pluginexec.HandleInfo(os.Stdout, args, memoryManifest); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin:", err)
			return 1
		}
		return 0
	}
	var tc memCase
	if err := json.Unmarshal([]byte(os.Getenv(memoryCaseEnv)), &tc); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 2
	}
	urls := hostFileURLs(args)
	if len(urls) != 2 {
		fmt.Fprintf(os.Stderr, "plugin: want two host URLs, got %q\n", urls)
		return 2
	}
	in, err := opener.Open(urls[0], os.O_RDONLY)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	defer in.Close()
	out, err := opener.Open(urls[1], os.O_WRONLY)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	defer out.Close()
	if tc.Kind == "huge" {
		err = sendHuge(in, out, tc)
	} else {
		err = sendCalls(in, out, tc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	return 0
}

// memReply is a response, as the plugin reads it.
type memReply struct {
	Sequence uint64          `json:"sequence"`
	Reply    json.RawMessage `json:"reply"`
	Code     string          `json:"code"`
	Error    string          `json:"error"`
}

// readReply reads the next response.
func readReply(br *bufio.Reader) (memReply, error) {
	var r memReply
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			return r, json.Unmarshal(line, &r)
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return r, fmt.Errorf("reading a response: %w", err)
		}
	}
}

// sendHuge streams one object of tc.Size bytes (a call whose string
// argument makes it that large), then a small call, and checks that the
// first is answered too_large and the second served.
func sendHuge(in io.Reader, out io.Writer, tc memCase) error {
	head := `{"sequence":1,"type":"call","namespace":"mem","name":"len","args":["`
	tail := "\"]}\n"
	chunk := bytes.Repeat([]byte("A"), miB)
	if _, err := io.WriteString(out, head); err != nil {
		return err
	}
	for left := tc.Size - len(head) - len(tail); left > 0; left -= len(chunk) {
		if _, err := out.Write(chunk[:min(left, len(chunk))]); err != nil {
			return fmt.Errorf("writing the object: %w", err)
		}
	}
	if _, err := io.WriteString(out, tail+`{"sequence":2,"type":"call","namespace":"mem","name":"len","args":["abc"]}`+"\n"); err != nil {
		return err
	}
	br := bufio.NewReader(in)
	for range 2 {
		r, err := readReply(br)
		if err != nil {
			return err
		}
		switch {
		case r.Sequence == 1 && r.Code != "too_large":
			return fmt.Errorf("the %d-byte object was answered %q (%s), want too_large", tc.Size, r.Code, r.Error)
		case r.Sequence == 2 && r.Code != "":
			return fmt.Errorf("the small call after the object was answered %q (%s), want served", r.Code, r.Error)
		}
	}
	return nil
}

// sendCalls sends up to tc.Calls calls at once, each with tc.Size bytes
// of arguments (a string, or a []any of numbers). Once the first answer
// comes (the host has released its services: what it held was measured),
// it stops sending, closes its end and reads the answers to the calls it
// sent: those the host had not run yet are answered without running,
// which spares decoding them all.
func sendCalls(in io.Reader, out io.WriteCloser, tc memCase) error {
	var args []byte
	switch tc.Kind {
	case "string":
		args = append(append([]byte(`["`), bytes.Repeat([]byte("a"), tc.Size-4)...), `"]`...)
	case "any":
		args = append(append([]byte(`[[`), bytes.Repeat([]byte("1,"), (tc.Size-5)/2)...), `1]]`...)
	case "map":
		args = append(args, `[{"k":1`...)
		for i := 0; len(args) < tc.Size-16; i++ {
			args = fmt.Appendf(args, `,"%x":1`, i)
		}
		args = append(args, `}]`...)
	default:
		return fmt.Errorf("unknown kind %q", tc.Kind)
	}
	var answered atomic.Bool
	sent := make(chan int, 1)
	werr := make(chan error, 1)
	go func() {
		defer out.Close()
		seq := 1
		for ; seq <= tc.Calls && !answered.Load(); seq++ {
			frame := fmt.Appendf(nil, `{"sequence":%d,"type":"call","namespace":"mem","name":%q,"args":%s}`+"\n", seq, tc.Kind, args)
			if _, err := out.Write(frame); err != nil {
				werr <- fmt.Errorf("writing call %d: %w", seq, err)
				return
			}
		}
		sent <- seq - 1
	}()
	type answer struct {
		r   memReply
		err error
	}
	answers := make(chan answer) // the reader is left blocked when the plugin exits
	go func() {
		br := bufio.NewReader(in)
		for {
			r, err := readReply(br)
			answers <- answer{r, err}
			if err != nil {
				return
			}
		}
	}()
	for n, total := 0, -1; n != total; {
		select {
		case total = <-sent:
		case err := <-werr:
			return err
		case a := <-answers:
			if a.err != nil {
				return a.err
			}
			switch a.r.Code {
			case "", "canceled", "unavailable":
			default:
				return fmt.Errorf("call %d was answered %q: %s", a.r.Sequence, a.r.Code, a.r.Error)
			}
			n++
			answered.Store(true)
		}
	}
	return nil
}
