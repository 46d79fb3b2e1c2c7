package wire

import (
	"bytes"
	"encoding/json"
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
	start     int // offset in the stream
	size      int
	tooLarge  bool
	malformed bool // cut short after the byte that proves it not JSON (before it if '{')
}

// Prefix classes of the reference model.
const (
	refOpen     = iota // a prefix of some JSON object, not one whole
	refComplete        // a whole JSON object (and whitespace)
	refInvalid         // no JSON object starts so
)

// classify judges a prefix with encoding/json, an implementation
// independent of the one under test. deep is set when encoding/json gave up
// on the nesting depth, where the model cannot say anything.
func classify(p []byte) (class int, deep bool) {
	if json.Valid(p) {
		return refComplete, false
	}
	var raw json.RawMessage
	err := json.Unmarshal(p, &raw)
	if strings.Contains(err.Error(), "exceeded max depth") {
		return refInvalid, true
	}
	if err.Error() == "unexpected end of JSON input" {
		return refOpen, false
	}
	// At the end of its input, encoding/json feeds its scanner a space: a
	// prefix that ends inside a number, a literal or an escape fails on that
	// space, one past the input. (A space of the input that fails is its
	// last byte: the space after it would have been accepted.)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset == int64(len(p)) && p[len(p)-1] != ' ' &&
		strings.HasPrefix(se.Error(), "invalid character ' '") {
		return refOpen, false
	}
	return refInvalid, false
}

// refFrames is an obviously correct framer over a whole stream, following
// PROTOCOL.md sections 2 and 5: it skips to the next '{', counting bytes
// other than JSON whitespace, then finds the shortest prefix from there that
// is a whole JSON object (a frame) or that no JSON object starts with (a
// malformed frame, without its last byte if that is a '{', where the next
// frame starts).
// truncated reports a stream that ended inside an object; deep, an object
// nested beyond what encoding/json judges, which voids the model.
func refFrames(in []byte, max int) (frames []refFrame, skipped int64, truncated, deep bool) {
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
			return frames, skipped, false, false
		}
		rest := in[i:]
		class, d := classify(rest)
		if d {
			return frames, skipped, false, true
		}
		if class == refOpen {
			return frames, skipped, true, false
		}
		// The shortest prefix that is not open: gallop, then bisect. Being
		// open is monotone: a prefix of an open prefix is open.
		lo, hi := 0, 1 // rest[:lo] is open (or empty), rest[:hi] is not
		for {
			if hi >= len(rest) {
				hi = len(rest)
				break
			}
			if c, _ := classify(rest[:hi]); c != refOpen {
				break
			}
			lo, hi = hi, 2*hi
		}
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if c, _ := classify(rest[:mid]); c == refOpen {
				lo = mid
			} else {
				hi = mid
			}
		}
		if c, d := classify(rest[:hi]); d {
			return frames, skipped, false, true
		} else if c == refComplete {
			frames = append(frames, refFrame{start: i, size: hi, tooLarge: hi > max})
			i += hi
			continue
		}
		// Malformed: cut after the byte that proves it, or before it if it
		// is '{', which starts the next frame.
		size := hi
		if rest[hi-1] == '{' {
			size--
		}
		frames = append(frames, refFrame{start: i, size: size, tooLarge: size > max, malformed: true})
		i += size
	}
}

// gotFrame is one result of Framer.Next, copied.
type gotFrame struct {
	data     []byte
	size     int64
	tooLarge bool
	head     []byte
	err      error
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
		if fr.Err != nil && !errors.Is(fr.Err, ErrMalformed) {
			t.Fatalf("frame error %v, want one wrapping ErrMalformed", fr.Err)
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
			if c := fr.Data[len(fr.Data)-1]; fr.Err == nil && c != '}' && c != ']' {
				t.Fatalf("frame does not end with a closing bracket: %.40q", fr.Data)
			}
			if fr.Err != nil && json.Valid(fr.Data) {
				t.Fatalf("malformed frame %.40q is JSON", fr.Data)
			}
		}
		out = append(out, gotFrame{
			data:     bytes.Clone(fr.Data),
			size:     fr.Size,
			tooLarge: fr.TooLarge,
			head:     fr.Head,
			err:      fr.Err,
		})
		if len(out) > 1<<20 {
			t.Fatalf("runaway: over a million frames")
		}
	}
}

// checkAgainstRef compares what a Framer returned for in with the reference
// model and returns a description of the first difference, or "".
func checkAgainstRef(in []byte, max int, got []gotFrame, end error, skipped int64) string {
	want, wantSkipped, truncated, deep := refFrames(in, max)
	if deep {
		return "" // beyond the model
	}
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
		case (g.err != nil) != w.malformed:
			return fmt.Sprintf("frame %d (%.60q): error %v, want malformed %v", i, frame, g.err, w.malformed)
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
		if f.err != nil && !f.tooLarge {
			out = append(out, fmt.Sprintf("<malformed: %s>", f.data))
			continue
		}
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
