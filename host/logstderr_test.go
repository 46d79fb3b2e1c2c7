package host

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
)

// stderrRecords feeds input to a stderrLog in pieces of n bytes and
// returns the records, as "LEVEL msg [stack]" strings, once it is closed.
func stderrRecords(input string, n int) []string {
	var got []string
	s := newStderrLog(func(r slog.Record) { got = append(got, recordString(r)) })
	for len(input) > 0 {
		k := min(n, len(input))
		s.Write([]byte(input[:k]))
		input = input[k:]
	}
	s.Close()
	return got
}

func recordString(r slog.Record) string {
	s := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "stack" {
			s += " [" + a.Value.String() + "]"
		}
		return true
	})
	return s
}

func TestStderrLogLines(t *testing.T) {
	input := "one\r\n" +
		`{"time":"2025-01-02T03:04:05Z","level":"WARN","msg":"json","k":1}` + "\n" +
		"\n  \n" +
		"panic: boom\n" +
		"[recovered]\n" +
		"\n" +
		"goroutine 7 gp=0xc000 m=0 [running]:\n" +
		"main.f()\n\t/x.go:3 +0x1\n" +
		"exit"
	want := []string{"INFO one", "WARN json", "ERROR panic: boom [[recovered]\n\ngoroutine 7 gp=0xc000 m=0 [running]:\nmain.f()\n\t/x.go:3 +0x1\nexit]"}
	for _, n := range []int{1, 3, 1000} {
		if got := stderrRecords(input, n); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("in pieces of %d: %q\nwant %q", n, got, want)
		}
	}
}

func TestStderrLogNotACrash(t *testing.T) {
	// Lines that start like a crash, with no stack within crashConfirm
	// lines, are lines; one of them may start a crash.
	var in strings.Builder
	in.WriteString("panic: words\n")
	for i := range crashConfirm {
		fmt.Fprintf(&in, "l%d\n", i)
	}
	in.WriteString("fatal error: real\n\ngoroutine 1 [running]:\nmain.main()\n")
	got := stderrRecords(in.String(), 5)
	want := []string{"INFO panic: words"}
	for i := range crashConfirm {
		want = append(want, fmt.Sprintf("INFO l%d", i))
	}
	want = append(want, "ERROR fatal error: real [goroutine 1 [running]:\nmain.main()]")
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// Cut within the lines held: a line that starts a crash among them
	// holds again.
	got = stderrRecords("panic: a\n"+strings.Repeat("x\n", crashConfirm-1)+"panic: b\ngoroutine 1 [running]:\n", 100)
	want = append([]string{"INFO panic: a"}, strings.Split(strings.Repeat("INFO x|", crashConfirm-1), "|")...)
	want[len(want)-1] = "ERROR panic: b [goroutine 1 [running]:]"
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestStderrLogBounds(t *testing.T) {
	long := strings.Repeat("a", maxStderrLine+10)
	got := stderrRecords(long, 4096)
	if len(got) != 2 || got[0] != "INFO "+long[:maxStderrLine] || got[1] != "INFO aaaaaaaaaa" {
		t.Errorf("a line longer than the bound: %d records", len(got))
	}
	crash := "panic: big\ngoroutine 1 [running]:\n" + strings.Repeat(strings.Repeat("f", 99)+"\n", 1000)
	got = stderrRecords(crash, 4096)
	if len(got) != 1 || len(got[0]) > maxCrash+100 || !strings.HasSuffix(got[0], "bytes more)]") {
		t.Errorf("a long crash: %d records, %d bytes, ending %q", len(got), len(got[0]), got[0][max(0, len(got[0])-40):])
	}
}

// The lines of what starts like a crash are released after crashWait when
// nothing follows.
func TestStderrLogReleasesHeldLines(t *testing.T) {
	var mu sync.Mutex
	got := make(chan string, 10)
	s := newStderrLog(func(r slog.Record) {
		mu.Lock()
		defer mu.Unlock()
		got <- recordString(r)
	})
	defer s.Close()
	s.Write([]byte("panic: a log line\n"))
	select {
	case r := <-got:
		if r != "INFO panic: a log line" {
			t.Errorf("released %q", r)
		}
	case <-time.After(crashWait + 10*time.Second):
		t.Fatal("the held line was not released")
	}
}

// A record that does not decode is reported, and the others of its batch
// still arrive.
func TestLogWriteBadRecord(t *testing.T) {
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	r := &run{plug: &pluginexec.Plugin{Manifest: pluginexec.Manifest{Name: "p"}}, cmd: &pluginexec.Command{Path: []string{"a", "b"}}}
	l := &runLog{base: slog.New(rec), run: r, ctx: context.Background()}
	l.write(context.Background(), 1, []json.RawMessage{
		json.RawMessage(`{"level":4,"msg":"one"}`),
		json.RawMessage(`{"level":"LOUD","msg":"two"}`),
		json.RawMessage(`{"msg":"three"}`),
	})
	var got []string
	for _, e := range rec.Entries() {
		s := fmt.Sprintf("%v %s", e.Level, e.Msg)
		for _, a := range e.Attrs {
			s += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		}
		got = append(got, s)
	}
	want := []string{
		"WARN one plugin=p command=a b",
		`WARN host: a log record that does not decode plugin=p command=a b source=host error=log record: level "LOUD": want a number or a level name record={"level":"LOUD","msg":"two"}`,
		"INFO three plugin=p command=a b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// A batch whose call failed as the connection ended is also written on
// stderr, marked with its number: the host hands on one copy, whichever
// comes first.
func TestLogBatchArrivesOnce(t *testing.T) {
	rec := hosttest.NewLogRecorder(slog.LevelDebug)
	r := &run{plug: &pluginexec.Plugin{Manifest: pluginexec.Manifest{Name: "p"}}, cmd: &pluginexec.Command{Path: []string{"c"}}}
	l := &runLog{base: slog.New(rec), run: r, ctx: context.Background()}
	s := newStderrLog(l.emitStderr)
	ctx := context.Background()
	for i := uint64(1); i <= 100; i++ { // more than the calls remembered
		l.write(ctx, i, []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"msg":"call %d"}`, i))})
	}
	// Batch 100 arrived as a call: its copy is dropped; batch 101 did not.
	s.Write([]byte(`{"time":"2025-01-02T03:04:05Z","level":"INFO","msg":"call 100","hostcall.batch":100}` + "\n"))
	s.Write([]byte(`{"time":"2025-01-02T03:04:05Z","level":"INFO","msg":"copy 101","k":1,"hostcall.batch":101}` + "\n"))
	s.Write([]byte(`{"time":"2025-01-02T03:04:05Z","level":"INFO","msg":"copy 101 again","hostcall.batch":101}` + "\n"))
	l.write(ctx, 101, []json.RawMessage{json.RawMessage(`{"msg":"call 101"}`)})
	l.write(ctx, 102, []json.RawMessage{json.RawMessage(`{"msg":"call 102"}`)})
	s.Close()
	var got []string
	for _, e := range rec.Entries() {
		msg := e.Msg
		for _, a := range e.Attrs[2:] {
			msg += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		}
		got = append(got, msg)
	}
	want := []string{}
	for i := 1; i <= 100; i++ {
		want = append(want, fmt.Sprintf("call %d", i))
	}
	want = append(want, "copy 101 k=1", "copy 101 again", "call 102")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
