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
