//go:build linux

package host_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// logPluginEnv makes the test binary act as the plugin of the log tests.
const logPluginEnv = "HOSTCALL_HOST_LOG_PLUGIN"

func init() {
	if os.Getenv(logPluginEnv) == "1" {
		os.Exit(logPluginMain(os.Args[1:]))
	}
}

var logManifest = pluginexec.Manifest{
	Name:    "logtest",
	Version: "1.0.0",
	Commands: []pluginexec.Command{
		{Path: []string{"script"}, Type: "script"},     // logs logScript through service.LogHandler
		{Path: []string{"fallback"}, Type: "fallback"}, // logs logScript through a closed client's handler
		{Path: []string{"flood"}, Type: "flood"},       // logs floodRecords records while it calls calc.add
		{Path: []string{"panic"}, Type: "panic"},       // panics deep down
		{Path: []string{"stderr"}, Type: "stderr"},     // writes lines on stderr
		{Path: []string{"boom"}, Type: "boom"},         // calls a host service that panics
		{Path: []string{"serve"}, Type: "serve"},       // serves log.say until the host closes
		{Path: []string{"stuck"}, Type: "stuck"},       // leaves a call of calc.stuck running
	},
}

// floodRecords is how many records the flood command logs.
const floodRecords = 100_000

// scriptTime is the time attribute of logScript.
var scriptTime = time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC)

// logScript logs records at each level, with nested groups and attributes
// of every kind.
func logScript(l *slog.Logger) {
	l.Debug("debug", "n", 1)
	l.Info("info", slog.Group("g", "s", "x", slog.Group("h", "b", true)), "f", 2.5)
	l.With("with", "w").WithGroup("req").With("id", 7).Warn("warn",
		"d", 1500*time.Millisecond, "t", scriptTime, "u", uint64(math.MaxUint64))
	l.WithGroup("e").Error("error", "err", errors.New("bad thing"), slog.Group("empty"))
	l.WithGroup("gone").Info("no attributes")
	l.Log(context.Background(), slog.LevelWarn+2, "custom level")
	l.Info("two\nlines", "one", 1.0, "any", map[string]any{"k": "v"}, "", "no key")
}

type attr = hosttest.LogAttr

// scriptEntries is what logScript logs, as a host handler gets it, without
// the run's attributes.
func scriptEntries() []hosttest.LogEntry {
	return []hosttest.LogEntry{
		{Level: slog.LevelDebug, Msg: "debug", Attrs: []attr{{Key: "n", Kind: "Int64", Value: int64(1)}}},
		{Level: slog.LevelInfo, Msg: "info", Attrs: []attr{
			{Key: "g", Kind: "Group", Group: []attr{
				{Key: "s", Kind: "String", Value: "x"},
				{Key: "h", Kind: "Group", Group: []attr{{Key: "b", Kind: "Bool", Value: true}}},
			}},
			{Key: "f", Kind: "Float64", Value: 2.5},
		}},
		{Level: slog.LevelWarn, Msg: "warn", Attrs: []attr{
			{Key: "with", Kind: "String", Value: "w"},
			{Key: "req", Kind: "Group", Group: []attr{
				{Key: "id", Kind: "Int64", Value: int64(7)},
				{Key: "d", Kind: "Duration", Value: 1500 * time.Millisecond},
				{Key: "t", Kind: "Time", Value: scriptTime},
				{Key: "u", Kind: "Uint64", Value: uint64(math.MaxUint64)},
			}},
		}},
		{Level: slog.LevelError, Msg: "error", Attrs: []attr{
			{Key: "e", Kind: "Group", Group: []attr{{Key: "err", Kind: "error", Value: "bad thing"}}},
		}},
		{Level: slog.LevelInfo, Msg: "no attributes"},
		{Level: slog.LevelWarn + 2, Msg: "custom level"},
		{Level: slog.LevelInfo, Msg: "two\nlines", Attrs: []attr{
			{Key: "one", Kind: "Float64", Value: 1.0},
			{Key: "any", Kind: "Any", Value: map[string]any{"k": "v"}},
			{Key: "", Kind: "String", Value: "no key"},
		}},
	}
}

// viaJSON is what becomes of entries written as slog.JSONHandler lines and
// read back: durations are integers, times strings, errors their
// messages, integral floats integers, objects groups.
func viaJSON(entries []hosttest.LogEntry) []hosttest.LogEntry {
	var conv func([]attr) []attr
	conv = func(as []attr) []attr {
		out := make([]attr, len(as))
		for i, a := range as {
			switch a.Kind {
			case "Duration":
				a = attr{Key: a.Key, Kind: "Int64", Value: int64(a.Value.(time.Duration))}
			case "Time":
				a = attr{Key: a.Key, Kind: "String", Value: a.Value.(time.Time).Format(time.RFC3339Nano)}
			case "error":
				a.Kind = "String"
			case "Float64":
				if f := a.Value.(float64); f == math.Trunc(f) {
					a = attr{Key: a.Key, Kind: "Int64", Value: int64(f)}
				}
			case "Group":
				a.Group = conv(a.Group)
			case "Any":
				if m, ok := a.Value.(map[string]any); ok && len(m) == 1 { // an object is a group
					for k, v := range m {
						a = attr{Key: a.Key, Kind: "Group", Group: []attr{{Key: k, Kind: "String", Value: v}}}
					}
				}
			}
			out[i] = a
		}
		return out
	}
	out := make([]hosttest.LogEntry, len(entries))
	for i, e := range entries {
		e.Attrs = conv(e.Attrs)
		out[i] = e
	}
	return out
}

func logPluginMain(args []string) int {
	if handled, err := pluginexec.HandleInfo(os.Stdout, args, logManifest); handled {
		if err != nil {
			return 1
		}
		return 0
	}
	ctx := context.Background()
	// Set up before the flags are parsed: LogHandler connects when it sends.
	log := slog.New(service.LogHandler(&slog.HandlerOptions{Level: slog.LevelDebug}))
	if len(args) == 0 {
		return 2
	}
	fmt.Println(os.Getpid())
	switch args[0] {
	case "script":
		logScript(log)
	case "fallback":
		r, w, err := os.Pipe()
		if err != nil {
			return 1
		}
		c := service.NewClient(r, w)
		c.Close()
		logScript(slog.New(c.LogHandler(&slog.HandlerOptions{Level: slog.LevelDebug})))
		c.FlushLogs(ctx)
	case "flood":
		fmt.Println(flood(log))
	case "panic":
		log.Info("about to panic")
		service.FlushLogs(ctx)
		deepPanic(30)
	case "stderr":
		fmt.Fprint(os.Stderr, "plain line\n\n")
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Warn("json", "k", 1, slog.Group("g", "x", "y"))
		fmt.Fprintln(os.Stderr, "panic: not a crash, only words")
		for i := range 9 {
			fmt.Fprintln(os.Stderr, "after", i)
		}
		fmt.Fprint(os.Stderr, "last line, unterminated")
	case "boom":
		var boom func() error
		service.GetService("calc", "boom", &boom)
		if err := boom(); !errors.Is(err, registry.ErrPanic) {
			fmt.Fprintln(os.Stderr, "boom:", err)
			return 1
		}
	case "stuck":
		var stuck, started func() error
		service.GetService("calc", "stuck", &stuck)
		service.GetService("calc", "started", &started)
		go stuck()
		if err := started(); err != nil {
			return 1
		}
	case "serve":
		reg := registry.New()
		reg.AddService("log", "say", func(ctx context.Context, msg string) { log.InfoContext(ctx, msg, "from", "serve") })
		if err := service.Serve(ctx, reg); err != nil {
			return 1
		}
	default:
		return 2
	}
	if err := service.FlushLogs(ctx); err != nil {
		return 1
	}
	return 0
}

// flood logs floodRecords records from 4 goroutines while 4 others call
// calc.add, and says how many calls were made and how many failed.
func flood(log *slog.Logger) string {
	var add func(a, b int) (int, error)
	service.GetService("calc", "add", &add)
	var calls, bad atomic.Int64
	done := make(chan struct{})
	var callers, loggers sync.WaitGroup
	for g := range 4 {
		callers.Add(1)
		go func() {
			defer callers.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				if n, err := add(g, i); err != nil || n != g+i {
					bad.Add(1)
				}
				calls.Add(1)
			}
		}()
	}
	for g := range 4 {
		loggers.Add(1)
		go func() {
			defer loggers.Done()
			for i := g; i < floodRecords; i += 4 {
				log.Info("n", "i", i)
			}
		}()
	}
	loggers.Wait()
	close(done)
	callers.Wait()
	return fmt.Sprintf("calls %d bad %d", calls.Load(), bad.Load())
}

//go:noinline
func deepPanic(n int) {
	if n == 0 {
		panic("boom")
	}
	deepPanic(n - 1)
}

func logPlugin(t *testing.T) *pluginexec.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pluginexec.NewPlugin(context.Background(), exe, logPluginEnvs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var logPluginEnvs = pluginexec.WithEnv(logPluginEnv+"=1", "GORACE=atexit_sleep_ms=0")

// stuck is calc.stuck's: started is closed once it runs; it returns once
// release is closed, whatever its context says.
var stuck struct {
	started, release chan struct{}
}

func logRegistry() *registry.Registry {
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	reg.AddService("calc", "boom", func() { panic("the host's service fell over") })
	started, release := stuck.started, stuck.release // this test's: a stuck call may outlive it
	reg.AddService("calc", "stuck", func() {
		close(started)
		<-release
	})
	reg.AddService("calc", "started", func() { <-started })
	return reg
}

// logRun runs command with h as WithLogger's handler and returns the
// plugin's pid, the rest of its stdout and the run's error.
func logRun(t *testing.T, command string, h slog.Handler, opts ...pluginexec.ExecOption) (int, string, error) {
	t.Helper()
	var stdout hosttest.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a watchdog
	defer cancel()
	bind := host.Bind(logRegistry(), host.WithLogger(slog.New(h)))
	opts = append([]pluginexec.ExecOption{bind, logPluginEnvs, pluginexec.WithStdout(&stdout)}, opts...)
	err := pluginexec.Exec(ctx, pluginexec.IterateTyped(logPlugin(t), command), nil, opts...)
	first, rest, _ := strings.Cut(stdout.String(), "\n")
	pid, _ := strconv.Atoi(first)
	return pid, strings.TrimSpace(rest), err
}

// runAttrs are the attributes the host adds to each record of the run.
func runAttrs(command string, pid int) []attr {
	return []attr{
		{Key: "plugin", Kind: "String", Value: "logtest"},
		{Key: "command", Kind: "String", Value: command},
		{Key: "pid", Kind: "Int64", Value: int64(pid)},
	}
}

// checkEntries compares what rec got with want, each entry with the run's
// attributes first and a time between start and now.
func checkEntries(t *testing.T, rec *hosttest.LogRecorder, want []hosttest.LogEntry, command string, pid int, start time.Time) {
	t.Helper()
	got := rec.Entries()
	end := time.Now()
	for i := range want {
		want[i].Attrs = append(runAttrs(command, pid), want[i].Attrs...)
	}
	for _, e := range got {
		if e.Time.Before(start) || e.Time.After(end) {
			t.Errorf("record %q at %v, not between %v and %v", e.Msg, e.Time, start, end)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(hosttest.LogEntry{}, "Time")); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestLogRecordsArrive(t *testing.T) {
	hosttest.CheckGoroutines(t)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	start := time.Now()
	pid, _, err := logRun(t, "script", rec)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, rec, scriptEntries(), "script", pid, start)
}

// A host only at INFO gets no DEBUG record.
func TestLogRecordsHostLevel(t *testing.T) {
	rec := hosttest.NewLogRecorder(slog.LevelInfo)
	start := time.Now()
	pid, _, err := logRun(t, "script", rec)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, rec, scriptEntries()[1:], "script", pid, start)
}

// A plugin whose connection is gone writes its records on stderr as JSON
// lines, which the host turns back into records.
func TestLogFallbackThroughStderr(t *testing.T) {
	hosttest.CheckGoroutines(t)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	start := time.Now()
	pid, _, err := logRun(t, "fallback", rec)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, rec, viaJSON(scriptEntries()), "fallback", pid, start)
}

// A host without WithLogger has no log namespace: the plugin's records go
// to its stderr as slog.JSONHandler lines.
func TestLogWithoutLoggerWritesJSONLines(t *testing.T) {
	hosttest.CheckGoroutines(t)
	var stderr hosttest.SyncBuffer
	err := pluginexec.Exec(context.Background(), pluginexec.IterateTyped(logPlugin(t), "script"), nil,
		host.Bind(logRegistry()), logPluginEnvs, pluginexec.WithStdout(&hosttest.SyncBuffer{}), pluginexec.WithStderr(&stderr))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var line struct{ Time, Level, Msg string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Time == "" || line.Level == "" {
			t.Errorf("stderr line %q is not a record of slog.JSONHandler: %v", sc.Text(), err)
		}
		msgs = append(msgs, line.Level+" "+line.Msg)
	}
	want := []string{"DEBUG debug", "INFO info", "WARN warn", "ERROR error", "INFO no attributes", "WARN+2 custom level", "INFO two\nlines"}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("stderr records (-want +got):\n%s\nstderr:\n%s", diff, stderr.String())
	}
	if !strings.Contains(stderr.String(), `"req":{"id":7,"d":1500000000,"t":"2024-02-29T23:59:58.123456789Z","u":18446744073709551615}`) {
		t.Errorf("the groups and attributes are not on stderr:\n%s", stderr.String())
	}
}

// counter is a slog.Handler that checks the flood's records: each
// record "n" once, and the counts of the records reported dropped.
type counter struct {
	mu       sync.Mutex
	seen     []bool
	got      int
	dups     int
	dropped  int64
	reported int // dropped reports
	other    []string
}

func (c *counter) Enabled(context.Context, slog.Level) bool { return true }
func (c *counter) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *counter) WithGroup(string) slog.Handler            { return c }

func (c *counter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Message {
	case "n":
		r.Attrs(func(a slog.Attr) bool {
			if i := a.Value.Int64(); a.Key == "i" && i >= 0 && int(i) < len(c.seen) {
				if c.seen[i] {
					c.dups++
				}
				c.seen[i] = true
				c.got++
			}
			return true
		})
	case "log records dropped":
		c.reported++
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "dropped" {
				c.dropped += a.Value.Int64()
			}
			return true
		})
	default:
		c.other = append(c.other, fmt.Sprintf("%v %s", r.Level, r.Message))
	}
	return nil
}

// 100k records while the plugin calls the host: every call succeeds, and
// every record arrives or is counted in a report of dropped records.
func TestLogFloodLeavesCallsAlone(t *testing.T) {
	hosttest.CheckGoroutines(t)
	c := &counter{seen: make([]bool, floodRecords)}
	_, out, err := logRun(t, "flood", c)
	if err != nil {
		t.Fatal(err)
	}
	var calls, bad int
	if _, err := fmt.Sscanf(out, "calls %d bad %d", &calls, &bad); err != nil || bad != 0 || calls == 0 {
		t.Errorf("the plugin's calls during the flood: %q", out)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got+int(c.dropped) != floodRecords || c.dups != 0 || len(c.other) != 0 {
		t.Errorf("%d records arrived (%d twice), %d reported dropped in %d reports, other records %q; want %d in all",
			c.got, c.dups, c.dropped, c.reported, c.other, floodRecords)
	}
	t.Logf("flood: %d records arrived, %d dropped (%d reports), %d calls meanwhile", c.got, c.dropped, c.reported, calls)
}

// A panic's message and stack make one ERROR record, and the run's error
// has them too.
func TestLogPanicIsOneRecord(t *testing.T) {
	hosttest.CheckGoroutines(t)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	pid, _, err := logRun(t, "panic", rec)
	if err == nil || !strings.Contains(err.Error(), "exit status 2") || !strings.Contains(err.Error(), "panic: boom") ||
		!strings.Contains(err.Error(), "goroutine 1 [running]") || !strings.Contains(err.Error(), "host_test.deepPanic") {
		t.Errorf("the run's error does not tell the panic: %v", err)
	}
	got := rec.Entries()
	if len(got) != 2 {
		t.Fatalf("%d records, want the plugin's and the panic's: %+v", len(got), got)
	}
	if diff := cmp.Diff(hosttest.LogEntry{Level: slog.LevelInfo, Msg: "about to panic", Attrs: runAttrs("panic", pid)}, got[0],
		cmpopts.IgnoreFields(hosttest.LogEntry{}, "Time")); diff != "" {
		t.Errorf("the plugin's record (-want +got):\n%s", diff)
	}
	p := got[1]
	if p.Level != slog.LevelError || p.Msg != "panic: boom" || len(p.Attrs) != 5 ||
		!cmp.Equal(p.Attrs[:4], append(runAttrs("panic", pid), attr{Key: "source", Kind: "String", Value: "stderr"})) {
		t.Fatalf("the panic's record: %+v", p)
	}
	stack, _ := p.Attrs[4].Value.(string)
	if p.Attrs[4].Key != "stack" || !strings.HasPrefix(stack, "goroutine 1 [running]:\n") ||
		strings.Count(stack, "host_test.deepPanic") != 31 || !strings.Contains(stack, "logPluginMain") {
		t.Errorf("the panic's stack:\n%s", stack)
	}
}

// Lines on stderr become records: plain ones at INFO with source=stderr,
// JSON lines of slog.JSONHandler as they were logged; a line that starts
// like a panic but has no stack is a line.
func TestLogStderrLines(t *testing.T) {
	hosttest.CheckGoroutines(t)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	start := time.Now()
	pid, _, err := logRun(t, "stderr", rec)
	if err != nil {
		t.Fatal(err)
	}
	src := attr{Key: "source", Kind: "String", Value: "stderr"}
	line := func(msg string) hosttest.LogEntry {
		return hosttest.LogEntry{Level: slog.LevelInfo, Msg: msg, Attrs: []attr{src}}
	}
	want := []hosttest.LogEntry{
		line("plain line"),
		{Level: slog.LevelWarn, Msg: "json", Attrs: []attr{
			{Key: "k", Kind: "Int64", Value: int64(1)},
			{Key: "g", Kind: "Group", Group: []attr{{Key: "x", Kind: "String", Value: "y"}}},
		}},
		line("panic: not a crash, only words"),
	}
	for i := range 9 {
		want = append(want, line(fmt.Sprint("after ", i)))
	}
	want = append(want, line("last line, unterminated"))
	checkEntries(t, rec, want, "stderr", pid, start)
}

// The host's own diagnostics about a run reach the logger.
func TestLogHostDiagnostics(t *testing.T) {
	hosttest.CheckGoroutines(t)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	pid, _, err := logRun(t, "boom", rec)
	if err != nil {
		t.Fatal(err)
	}
	got := rec.Entries()
	if len(got) != 1 {
		t.Fatalf("records: %+v", got)
	}
	e := got[0]
	if e.Level != slog.LevelError || !strings.HasPrefix(e.Msg, "host: ") || !strings.Contains(e.Msg, "the host's service fell over") ||
		len(e.Attrs) != 5 || !cmp.Equal(e.Attrs[:4], append(runAttrs("boom", pid), attr{Key: "source", Kind: "String", Value: "host"})) ||
		e.Attrs[4].Key != "stack" || !strings.Contains(e.Attrs[4].Value.(string), "goroutine") {
		t.Errorf("the host's report of the panic: %+v", e)
	}
}

// Services still running when the drain timeout ends are reported.
func TestLogDrainedCalls(t *testing.T) {
	hosttest.CheckGoroutines(t)
	stuck.started, stuck.release = make(chan struct{}), make(chan struct{})
	defer close(stuck.release)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	var stdout hosttest.SyncBuffer
	bind := host.Bind(logRegistry(), host.WithLogger(slog.New(rec)), host.WithServeOptions(host.WithDrainTimeout(100*time.Millisecond)))
	err := pluginexec.Exec(context.Background(), pluginexec.IterateTyped(logPlugin(t), "stuck"), nil, bind, logPluginEnvs, pluginexec.WithStdout(&stdout))
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("the run's error: %v, want the service still running", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(stdout.String()))
	got := rec.Entries()
	if len(got) != 1 || got[0].Level != slog.LevelWarn || !strings.HasPrefix(got[0].Msg, "host: serving ") ||
		!strings.Contains(got[0].Msg, "[calc.stuck (sequence ") ||
		!strings.Contains(got[0].Msg, ")] still running 100ms after the connection ended") ||
		!cmp.Equal(got[0].Attrs, append(runAttrs("stuck", pid), attr{Key: "source", Kind: "String", Value: "host"})) {
		t.Errorf("records: %+v", got)
	}
}

// Start takes WithLogger too: a serving plugin's records arrive, with the
// run's attributes.
func TestLogStart(t *testing.T) {
	hosttest.CheckGoroutines(t)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout hosttest.SyncBuffer
	p, err := host.Start(ctx, logPlugin(t), logRegistry(), host.WithCommand("serve"), host.WithLogger(slog.New(rec)),
		host.WithExecOptions(logPluginEnvs, pluginexec.WithStdout(&stdout)))
	if err != nil {
		t.Fatal(err)
	}
	var say func(ctx context.Context, msg string) error
	p.GetService("log", "say", &say)
	if err := say(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(stdout.String()))
	want := hosttest.LogEntry{Level: slog.LevelInfo, Msg: "hello", Attrs: append(runAttrs("serve", pid), attr{Key: "from", Kind: "String", Value: "serve"})}
	if diff := cmp.Diff([]hosttest.LogEntry{want}, rec.Entries(), cmpopts.IgnoreFields(hosttest.LogEntry{}, "Time")); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// Serve's diagnostics reach WithServeLogger's logger.
func TestServeLogger(t *testing.T) {
	hosttest.CheckGoroutines(t)
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	p := hosttest.NewPipes(t)
	served := make(chan error, 1)
	go func() {
		served <- host.Serve(context.Background(), logRegistry(), p.HostR, p.HostW, host.WithServeLogger(slog.New(rec)))
	}()
	c := service.NewClient(p.PluginR, p.PluginW)
	var boom func() error
	c.GetService("calc", "boom", &boom)
	if err := boom(); !errors.Is(err, registry.ErrPanic) {
		t.Errorf("boom: %v", err)
	}
	c.Close()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	got := rec.Entries()
	if len(got) != 1 || got[0].Level != slog.LevelError || !strings.Contains(got[0].Msg, "the host's service fell over") ||
		len(got[0].Attrs) != 2 || !cmp.Equal(got[0].Attrs[0], attr{Key: "source", Kind: "String", Value: "host"}) || got[0].Attrs[1].Key != "stack" {
		t.Errorf("records: %+v", got)
	}
}
