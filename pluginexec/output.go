package pluginexec

import (
	"io"
	"os"
	"sync"
)

// outputs holds what the runs of one Exec, NewPlugin or DiscoverPlugins
// call share for their output: a lock that serializes writes to the
// caller's writers and the host's stderr, so that a plain bytes.Buffer is
// safe and lines of parallel plugins do not interleave.
type outputs struct {
	mu sync.Mutex
}

// stdout returns the writer for a plugin's stdout: w, serialized, or the
// host's stdout. A file is handed to the process as it is.
func (o *outputs) stdout(w io.Writer) io.Writer {
	if w == nil {
		return os.Stdout
	}
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{mu: &o.mu, w: w}
}

// stderr returns the sink for a plugin's stderr: w, serialized, or the
// host's stderr with each line prefixed by name.
func (o *outputs) stderr(w io.Writer, name string) *stderrSink {
	if w == nil {
		return newStderrSink(newPrefixWriter(&lockedWriter{mu: &o.mu, w: os.Stderr}, name))
	}
	return newStderrSink(&lockedWriter{mu: &o.mu, w: w})
}

// lockedWriter serializes writes to w with mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// limitedBuffer keeps the first limit bytes written to it and counts the
// rest, without ever failing a write (which would stall the writer).
type limitedBuffer struct {
	buf     []byte
	limit   int
	dropped int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := min(len(p), b.limit-len(b.buf))
	b.buf = append(b.buf, p[:n]...)
	b.dropped += len(p) - n
	return len(p), nil
}
