package pluginexec

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// Bounds of the stderr tail kept for errors.
const (
	tailLines = 20
	tailBytes = 4 << 10
)

// maxPrefixedLine is how much of an unterminated line the prefixing writer
// holds before it forwards it anyway.
const maxPrefixedLine = 64 << 10

// stderrSink receives a plugin's stderr: it keeps the tail and forwards
// everything to out. Forwarding errors are ignored so that a failing writer
// never stalls the plugin.
type stderrSink struct {
	mu   sync.Mutex
	tail tailBuffer
	out  io.Writer
}

func newStderrSink(out io.Writer) *stderrSink {
	return &stderrSink{out: out}
}

func (s *stderrSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail.write(p)
	_, _ = s.out.Write(p)
	return len(p), nil
}

// Close forwards a last unterminated line, if out holds one.
func (s *stderrSink) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pw, ok := s.out.(*prefixWriter); ok {
		pw.flush()
	}
}

// Tail returns the last lines written, at most tailLines lines and
// tailBytes bytes.
func (s *stderrSink) Tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tail.String()
}

// tailBuffer keeps the last bytes written to it, and the start of a Go
// crash (see crashHead).
type tailBuffer struct {
	buf   []byte
	crash crashHead
}

func (t *tailBuffer) write(p []byte) {
	t.crash.write(p)
	if len(p) >= tailBytes {
		t.buf = append(t.buf[:0], p[len(p)-tailBytes:]...)
		return
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
}

// String returns the last tailLines lines of the last tailBytes bytes,
// without the final newline and without a partial character at the start;
// or, when the process crashed, the crash's first tailBytes bytes, which
// hold its message and the first frames of its stack, however long the
// stack goes on after them.
func (t *tailBuffer) String() string {
	if c := t.crash.String(); c != "" {
		return c
	}
	b := t.buf
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return ""
	}
	start := len(b)
	for n := 0; n < tailLines && start > 0; n++ {
		start = bytes.LastIndexByte(b[:start], '\n')
	}
	b = b[start+1:]
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return string(b)
}

// prefixWriter writes each line it receives to w with a prefix, one Write
// per line, so lines of several plugins never mix.
type prefixWriter struct {
	w      io.Writer
	prefix []byte
	line   []byte
}

func newPrefixWriter(w io.Writer, name string) *prefixWriter {
	return &prefixWriter{w: w, prefix: []byte("[" + name + "] ")}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.hold(b)
			break
		}
		p.line = append(p.line, b[:i+1]...)
		p.flush()
		b = b[i+1:]
	}
	return n, nil
}

// hold keeps an unterminated piece of line, forwarding it if it grows too
// long.
func (p *prefixWriter) hold(b []byte) {
	p.line = append(p.line, b...)
	if len(p.line) >= maxPrefixedLine {
		p.flush()
	}
}

// flush writes the line held, if any, prefixed and newline-terminated.
func (p *prefixWriter) flush() {
	if len(p.line) == 0 {
		return
	}
	out := make([]byte, 0, len(p.prefix)+len(p.line)+1)
	out = append(append(out, p.prefix...), p.line...)
	if out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	_, _ = p.w.Write(out)
	p.line = p.line[:0]
}
