package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// watchdog crashes the test binary, with every goroutine's stack, if the
// test has not called the returned stop function within d. It is for
// liveness only ("this must not hang"): d is far above any normal run time.
func watchdog(t *testing.T, d time.Duration) (stop func()) {
	t.Helper()
	name := t.Name()
	timer := time.AfterFunc(d, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("%s: still running after %v: hang", name, d))
	})
	return func() { timer.Stop() }
}

// wrapper is a way of delivering a stream to a Framer.
type wrapper struct {
	name string
	fn   func(io.Reader) io.Reader
}

var wrappers = []wrapper{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"bytewise", iotest.OneByteReader},
	{"halves", iotest.HalfReader},
	{"dataerr", iotest.DataErrReader},
	{"bytewise-dataerr", func(r io.Reader) io.Reader { return iotest.DataErrReader(iotest.OneByteReader(r)) }},
	{"stutter", func(r io.Reader) io.Reader { return &stutterReader{r: r} }},
}

// stutterReader returns (0, nil) before every read of the underlying reader,
// and reads at most 3 bytes at a time: readers may legally do both.
type stutterReader struct {
	r    io.Reader
	turn bool
}

func (s *stutterReader) Read(p []byte) (int, error) {
	s.turn = !s.turn
	if s.turn {
		return 0, nil
	}
	if len(p) > 3 {
		p = p[:3]
	}
	return s.r.Read(p)
}

// splitReader returns data in reads that end at the given offsets, then the
// rest. A split at 0 or at the end yields an empty read, which is legal.
func splitReader(data []byte, offsets ...int) io.Reader {
	var rs []io.Reader
	prev := 0
	for _, o := range offsets {
		rs = append(rs, bytes.NewReader(data[prev:o]))
		prev = o
	}
	rs = append(rs, bytes.NewReader(data[prev:]))
	return io.MultiReader(rs...)
}

// zeroReader returns no bytes and no error, forever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// refFrame is what the reference model expects of one frame.
type refFrame struct {
	start    int // offset in the stream
	size     int
	tooLarge bool
}

// refFrames is an obviously correct framer over a whole stream, byte by
// byte, following PROTOCOL.md section 2 and 5: it skips to the next '{',
// counting bytes other than JSON whitespace, then tracks depth, strings and
// escapes until depth returns to 0. truncated reports a stream that ended
// inside an object.
func refFrames(in []byte, max int) (frames []refFrame, skipped int64, truncated bool) {
	i := 0
	for {
		for i < len(in) && in[i] != '{' {
			switch in[i] {
			case ' ', '\t', '\r', '\n':
			default:
				skipped++
			}
			i++
		}
		if i == len(in) {
			return frames, skipped, false
		}
		start, depth, inStr, esc, end := i, 0, false, false, -1
	scan:
		for j := i; j < len(in); j++ {
			c := in[j]
			switch {
			case esc:
				esc = false
			case inStr && c == '\\':
				esc = true
			case inStr && c == '"':
				inStr = false
			case inStr:
			case c == '"':
				inStr = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					end = j + 1
					break scan
				}
			}
		}
		if end < 0 {
			return frames, skipped, true
		}
		frames = append(frames, refFrame{start: start, size: end - start, tooLarge: end-start > max})
		i = end
	}
}

// gotFrame is one result of Framer.Next, copied.
type gotFrame struct {
	data     []byte
	size     int64
	tooLarge bool
	head     []byte
}

// drain reads every frame of r through a Framer, checking the invariants
// every frame must satisfy, and returns the frames, the end error and the
// Framer.
func drain(t testing.TB, r io.Reader, max int) ([]gotFrame, *Framer, error) {
	t.Helper()
	f := NewFramer(r, max)
	var out []gotFrame
	for {
		fr, err := f.Next()
		if err != nil {
			return out, f, err
		}
		if fr.TooLarge {
			if fr.Data != nil {
				t.Fatalf("too large frame with data")
			}
			if fr.Size <= int64(max) {
				t.Fatalf("too large frame of %d bytes within the limit %d", fr.Size, max)
			}
			if len(fr.Head) == 0 || fr.Head[0] != '{' || len(fr.Head) > headSize {
				t.Fatalf("head of %d bytes: %.20q", len(fr.Head), fr.Head)
			}
		} else {
			if len(fr.Data) == 0 || fr.Data[0] != '{' {
				t.Fatalf("frame does not start with '{': %.40q", fr.Data)
			}
			if int64(len(fr.Data)) != fr.Size || fr.Size > int64(max) {
				t.Fatalf("frame of %d bytes, size %d, limit %d", len(fr.Data), fr.Size, max)
			}
			if c := fr.Data[len(fr.Data)-1]; c != '}' && c != ']' {
				t.Fatalf("frame does not end with a closing bracket: %.40q", fr.Data)
			}
		}
		out = append(out, gotFrame{
			data:     bytes.Clone(fr.Data),
			size:     fr.Size,
			tooLarge: fr.TooLarge,
			head:     fr.Head,
		})
		if len(out) > 1<<20 {
			t.Fatalf("runaway: over a million frames")
		}
	}
}

// checkAgainstRef compares what a Framer returned for in with the reference
// model and returns a description of the first difference, or "".
func checkAgainstRef(in []byte, max int, got []gotFrame, end error, skipped int64) string {
	want, wantSkipped, truncated := refFrames(in, max)
	if truncated {
		if !errors.Is(end, ErrTruncated) {
			return fmt.Sprintf("end error %v, want ErrTruncated", end)
		}
	} else if end != io.EOF {
		return fmt.Sprintf("end error %v, want io.EOF", end)
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d frames, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		frame := in[w.start : w.start+w.size]
		switch {
		case g.size != int64(w.size):
			return fmt.Sprintf("frame %d: size %d, want %d", i, g.size, w.size)
		case g.tooLarge != w.tooLarge:
			return fmt.Sprintf("frame %d: TooLarge %v, want %v", i, g.tooLarge, w.tooLarge)
		case !w.tooLarge && !bytes.Equal(g.data, frame):
			return fmt.Sprintf("frame %d: %q, want %q", i, g.data, frame)
		case w.tooLarge:
			// The head is a prefix of the frame, as long as the frame, its
			// headSize first bytes, or the limit plus one byte allow.
			lo := min(w.size, headSize, max+1)
			hi := min(w.size, headSize)
			if len(g.head) < lo || len(g.head) > hi || !bytes.HasPrefix(frame, g.head) {
				return fmt.Sprintf("frame %d: head of %d bytes (%.30q), want a prefix of %d to %d bytes", i, len(g.head), g.head, lo, hi)
			}
		}
	}
	if skipped != wantSkipped {
		return fmt.Sprintf("skipped %d, want %d", skipped, wantSkipped)
	}
	return ""
}

// frameStrings renders frames for comparison in tests.
func frameStrings(frames []gotFrame) []string {
	var out []string
	for _, f := range frames {
		if f.tooLarge {
			out = append(out, fmt.Sprintf("<too large: %d>", f.size))
			continue
		}
		out = append(out, string(f.data))
	}
	return out
}

// goroutineBlockedIn reports whether some goroutine is blocked in a select
// or channel operation inside function fn (e.g. "(*Writer).Send").
func goroutineBlockedIn(fn string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if !strings.Contains(header, "[select") && !strings.Contains(header, "[chan receive") {
			continue
		}
		if strings.Contains(g, "wire."+fn+"(") {
			return true
		}
	}
	return false
}

// waitBlockedIn waits until some goroutine is blocked in fn.
func waitBlockedIn(t *testing.T, fn string) {
	t.Helper()
	stop := watchdog(t, 30*time.Second)
	defer stop()
	for !goroutineBlockedIn(fn) {
		time.Sleep(time.Millisecond)
	}
}
