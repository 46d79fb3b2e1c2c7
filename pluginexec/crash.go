package pluginexec

import (
	"bytes"
	"unicode/utf8"
)

// crashConfirm is how many lines after a crash's first line may come
// before the header of a goroutine's stack confirms it.
const crashConfirm = 8

// crashHead keeps the start of a Go crash written to stderr: from a line
// that starts like a panic or a fatal error ("panic: ", "fatal error: ",
// "SIGSEGV: "), tailBytes bytes at most, once the header of a goroutine's
// stack ("goroutine 1 [running]:") follows within crashConfirm lines, or
// stderr ends within them. The runtime writes nothing after a crash's
// stack but more stacks, so the start is where the explanation is.
type crashHead struct {
	line    []byte // the current line, its first tailBytes bytes
	head    []byte // a crash's start, from its first line
	lines   int    // lines in head
	pending bool   // head may be a crash's start, not confirmed yet
	found   bool   // head is a crash's start
}

func (c *crashHead) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i+1]
		}
		c.line = appendMax(c.line, seg, tailBytes)
		if c.pending || c.found {
			c.head = appendMax(c.head, seg, tailBytes)
		}
		if i < 0 {
			return
		}
		c.endLine()
		p = p[i+1:]
	}
}

// appendMax appends to dst what fits of p within max bytes.
func appendMax(dst, p []byte, max int) []byte {
	return append(dst, p[:min(len(p), max-min(len(dst), max))]...)
}

// endLine classifies the line that just ended.
func (c *crashHead) endLine() {
	line := c.line
	c.line = c.line[:0]
	switch {
	case c.found:
	case c.pending:
		c.lines++
		if isGoroutineHeader(line) {
			c.pending, c.found = false, true
		} else if c.lines > crashConfirm {
			c.pending, c.head = false, c.head[:0]
		}
	}
	if !c.pending && !c.found && isCrashStart(line) {
		c.pending, c.lines = true, 1
		c.head = append(c.head[:0], line...)
	}
}

// String returns the crash's start without its last newline and without a
// partial character at the end, or "" when no crash was written.
func (c *crashHead) String() string {
	if !c.pending && !c.found {
		return ""
	}
	b := bytes.TrimRight(c.head, "\n")
	for n := 0; n < utf8.UTFMax-1 && len(b) > 0; n++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size > 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return string(b)
}

// isCrashStart reports whether line starts like the runtime's report of a
// panic, a fatal error or a fatal signal.
func isCrashStart(line []byte) bool {
	if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
		return true
	}
	// SIGSEGV: segmentation violation, SIGQUIT: quit...
	if !bytes.HasPrefix(line, []byte("SIG")) {
		return false
	}
	i := 3
	for i < len(line) && 'A' <= line[i] && line[i] <= 'Z' {
		i++
	}
	return i > 3 && bytes.HasPrefix(line[i:], []byte(": "))
}

// isGoroutineHeader reports whether line starts a goroutine's stack:
// "goroutine 1 [running]:".
func isGoroutineHeader(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("goroutine "))
	if !ok || len(rest) == 0 || rest[0] < '0' || rest[0] > '9' {
		return false
	}
	return bytes.IndexByte(rest, '[') > 0
}
