package host

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hostcall/hostcall/internal/logrec"
)

// Bounds of the stderr reader.
const (
	maxStderrLine = 64 << 10 // an unterminated line is taken as a line at this length
	maxCrash      = 64 << 10 // a crash's lines beyond this many bytes are left out
	crashConfirm  = 8        // lines within which a crash's goroutine header must come
	crashWait     = time.Second
)

// stderrLog turns a plugin's stderr into records, one per line (a line
// that slog.JSONHandler wrote keeps its level, time and attributes; any
// other is at INFO with source=stderr), except a Go crash: from a line
// that starts like one ("panic: ", "fatal error: ", "SIGSEGV: ") and is
// confirmed by a goroutine header within crashConfirm lines, everything up
// to the end of stderr is one ERROR record. The lines of a crash not yet
// confirmed are held, for crashWait at most.
type stderrLog struct {
	emit func(slog.Record)

	mu     sync.Mutex
	line   []byte   // the unterminated line
	held   []string // a crash's lines: held until confirmed, then up to the end
	size   int      // bytes in held
	cut    int      // bytes of a crash left out
	crash  bool     // held is a confirmed crash
	timer  *time.Timer
	gen    int // counts holds, so that a stale timer does nothing
	closed bool
}

func newStderrLog(emit func(slog.Record)) *stderrLog {
	return &stderrLog{emit: emit}
}

func (s *stderrLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.line = append(s.line, p...)
			if len(s.line) >= maxStderrLine {
				s.endLine()
			}
			break
		}
		s.line = append(s.line, p[:i]...)
		s.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// Close takes the unterminated line as a line, and sends a crash's record:
// lines held when stderr ends are a crash, the process having died right
// after its first line.
func (s *stderrLog) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.line) > 0 {
		s.endLine()
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	if len(s.held) > 0 {
		s.sendCrash()
	}
	s.closed = true
}

func (s *stderrLog) endLine() {
	line := string(bytes.TrimSuffix(s.line, []byte("\r")))
	s.line = s.line[:0]
	s.handle(line)
}

// A Go crash's first line, and the header of a goroutine's stack.
var (
	crashStart      = regexp.MustCompile(`^(panic: |fatal error: |SIG[A-Z]+: )`)
	goroutineHeader = regexp.MustCompile(`^goroutine \d+ .*\[`)
)

func (s *stderrLog) handle(line string) {
	switch {
	case s.closed:
	case s.crash:
		s.keep(line)
	case len(s.held) > 0:
		s.keep(line)
		if goroutineHeader.MatchString(line) {
			s.crash = true
		} else if len(s.held) > crashConfirm {
			s.release()
		}
	case crashStart.MatchString(line):
		s.hold(line)
	default:
		s.plain(line)
	}
}

// keep adds a line to the crash, within maxCrash bytes.
func (s *stderrLog) keep(line string) {
	if s.size+len(line) > maxCrash {
		s.cut += len(line) + 1
		return
	}
	s.held = append(s.held, line)
	s.size += len(line) + 1
}

// hold starts holding the lines of what may be a crash; a timer releases
// them as plain lines if no goroutine header confirms it in time.
func (s *stderrLog) hold(line string) {
	s.held, s.size, s.cut = nil, 0, 0
	s.keep(line)
	s.gen++
	gen := s.gen
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(crashWait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gen == gen && len(s.held) > 0 && !s.crash && !s.closed {
			s.release()
		}
	})
}

// release sends the held lines, which were no crash, as plain lines: the
// first as it is, the others as if they came now (one may start a crash).
func (s *stderrLog) release() {
	held := s.held
	s.held = nil
	s.gen++
	s.plain(held[0])
	for _, line := range held[1:] {
		s.handle(line)
	}
}

// sendCrash sends the crash as one ERROR record: its first line as the
// message, the rest as the attribute stack.
func (s *stderrLog) sendCrash() {
	stack := strings.Trim(strings.Join(s.held[1:], "\n"), "\n")
	if s.cut > 0 {
		stack += fmt.Sprintf("\n... (%d bytes more)", s.cut)
	}
	r := slog.NewRecord(time.Now(), slog.LevelError, s.held[0], 0)
	r.AddAttrs(slog.String("source", "stderr"), slog.String("stack", stack))
	s.held, s.crash = nil, false
	s.emit(r)
}

// plain sends one line: a record of its own when slog.JSONHandler wrote
// it, else at INFO with source=stderr. Blank lines are left out.
func (s *stderrLog) plain(line string) {
	if r, ok := logrec.ParseLine([]byte(line)); ok {
		if r.Time.IsZero() {
			r.Time = time.Now()
		}
		s.emit(r)
		return
	}
	if strings.TrimSpace(line) == "" {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, line, 0)
	r.AddAttrs(slog.String("source", "stderr"))
	s.emit(r)
}
