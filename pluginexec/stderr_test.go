package pluginexec

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestTailKeepsLastLines(t *testing.T) {
	var tb tailBuffer
	var want []string
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(writerFunc(tb.write), "line %d\n", i)
		if i > 30-tailLines {
			want = append(want, fmt.Sprintf("line %d", i))
		}
	}
	if got := tb.String(); got != strings.Join(want, "\n") {
		t.Errorf("tail = %q", got)
	}
}

func TestTailKeepsLastBytes(t *testing.T) {
	var tb tailBuffer
	tb.write([]byte("start\n"))
	tb.write(bytes.Repeat([]byte("é"), 3000)) // 6000 bytes in one write
	tb.write([]byte("x"))
	got := tb.String()
	if len(got) > tailBytes || !strings.HasSuffix(got, "éx") || strings.Contains(got, "start") {
		t.Errorf("tail of %d bytes: %q...", len(got), got[:min(len(got), 20)])
	}
	if !strings.HasPrefix(got, "é") {
		t.Errorf("tail starts inside a character: %q", got[:4])
	}
	for range 100 {
		tb.write(bytes.Repeat([]byte("a"), 100))
	}
	if got := tb.String(); len(got) != tailBytes || len(tb.buf) > 2*tailBytes {
		t.Errorf("tail %d bytes, buffer %d", len(got), len(tb.buf))
	}
}

func TestTailEmpty(t *testing.T) {
	var tb tailBuffer
	if got := tb.String(); got != "" {
		t.Errorf("empty tail = %q", got)
	}
	tb.write([]byte("\n\n"))
	if got := tb.String(); got != "" {
		t.Errorf("tail of newlines = %q", got)
	}
}

func TestPrefixWriter(t *testing.T) {
	var out bytes.Buffer
	var writes int
	pw := newPrefixWriter(writerFunc(func(p []byte) { writes++; out.Write(p) }), "scan")
	for _, s := range []string{"he", "llo\nwor", "ld\n\nlast"} {
		if n, err := pw.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	pw.flush()
	want := "[scan] hello\n[scan] world\n[scan] \n[scan] last\n"
	if out.String() != want || writes != 4 {
		t.Errorf("got %q in %d writes, want %q in 4", out.String(), writes, want)
	}
}

func TestPrefixWriterLongLine(t *testing.T) {
	var out bytes.Buffer
	pw := newPrefixWriter(&out, "p")
	pw.Write(bytes.Repeat([]byte("a"), maxPrefixedLine+10))
	if out.Len() == 0 || len(pw.line) != 0 {
		t.Errorf("long line held: wrote %d, holding %d", out.Len(), len(pw.line))
	}
}

func TestStderrSinkKeepsTailWhenForwardFails(t *testing.T) {
	s := newStderrSink(failingWriter{})
	if n, err := s.Write([]byte("boom\n")); n != 5 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
	if s.Tail() != "boom" {
		t.Errorf("tail %q", s.Tail())
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) {
	f(p)
	return len(p), nil
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("broken") }

// goPanic is what the runtime writes for a panic deep in a call chain:
// more lines than the tail keeps.
func goPanic(depth int) string {
	var b strings.Builder
	b.WriteString("panic: boom\n\ngoroutine 1 [running]:\n")
	for i := range depth {
		fmt.Fprintf(&b, "main.deep(0x%x)\n\t/src/main.go:%d +0x1d\n", i, 10+i)
	}
	b.WriteString("main.main()\n\t/src/main.go:5 +0x25\nexit status 2\n")
	return b.String()
}

func TestTailKeepsACrashStart(t *testing.T) {
	var tb tailBuffer
	for i := range 30 {
		fmt.Fprintf(writerFunc(tb.write), "line %d\n", i)
	}
	// Written in pieces that cut lines anywhere.
	crash := goPanic(40)
	for len(crash) > 0 {
		n := min(len(crash), 7)
		tb.write([]byte(crash[:n]))
		crash = crash[n:]
	}
	got := tb.String()
	if !strings.HasPrefix(got, "panic: boom\n\ngoroutine 1 [running]:\nmain.deep(0x0)\n") || strings.Contains(got, "line 29") {
		t.Errorf("tail of a crash:\n%s", got)
	}
	if len(got) > tailBytes {
		t.Errorf("crash tail of %d bytes", len(got))
	}

	// A long crash keeps its start, within tailBytes.
	tb = tailBuffer{}
	tb.write([]byte(goPanic(500)))
	if got := tb.String(); !strings.HasPrefix(got, "panic: boom\n") || len(got) > tailBytes || len(got) < tailBytes-100 {
		t.Errorf("long crash tail of %d bytes starts %q", len(got), got[:min(len(got), 40)])
	}
}

func TestTailCrashNeedsAStack(t *testing.T) {
	// "panic: " in an ordinary line, followed by more than crashConfirm
	// lines without a goroutine header, is no crash: the tail is the last
	// lines.
	var tb tailBuffer
	tb.write([]byte("panic: not really\n"))
	for i := range 12 {
		fmt.Fprintf(writerFunc(tb.write), "line %d\n", i)
	}
	if got := tb.String(); !strings.HasPrefix(got, "panic: not really\nline 0") || !strings.HasSuffix(got, "line 11") {
		t.Errorf("tail:\n%s", got)
	}
	tb.write([]byte("more\nfatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()\n"))
	if got := tb.String(); got != "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()" {
		t.Errorf("tail of a fatal error:\n%s", got)
	}
	// A crash's first line just before stderr ends is a crash.
	tb = tailBuffer{}
	tb.write([]byte("a\nb\nSIGQUIT: quit\nPC=0x0 m=0"))
	if got := tb.String(); got != "SIGQUIT: quit\nPC=0x0 m=0" {
		t.Errorf("tail of a signal's report:\n%s", got)
	}
}
