package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// kitConfig is how the runner runs the implementation under test.
type kitConfig struct {
	command []string      // the host or driver command and its arguments
	timeout time.Duration // how long any one wait may take
}

// skipError is a case the implementation under test cannot run: its hello
// lacks a feature the case needs, or its driver an operation.
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

// kitRun is one case being run against one process of the implementation
// under test. Its methods are the steps shared by host and client cases.
type kitRun struct {
	c    *kitCase
	cfg  *kitConfig
	peer string // "host" or "client": what is under test
	cmd  *exec.Cmd

	in      *os.File // the stream the implementation reads frames from
	inOpen  bool
	frames  chan kitFrame // the frames it writes
	done    chan struct{} // closed when the run is over: the readers stop
	exited  chan error    // its exit, once
	stderr  *syncBuffer
	vars    vars
	hellos  map[string]bool // the sequences of the hellos the runner sent
	feats   []string        // the features of the peer's latest hello; nil before one
	results *driverResults  // client cases: the driver's results
}

// failf words a failure at a step.
func failf(st kitStep, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", st.line, fmt.Sprintf(format, args...))
}

// write writes a line the runner plays, with its variables replaced.
func (r *kitRun) write(st kitStep, newline bool) error {
	text, err := substitute(st.text, r.vars)
	if err != nil {
		return failf(st, "%v", err)
	}
	r.noteHello(text)
	if newline {
		text += "\n"
	}
	if !r.inOpen {
		return failf(st, "the stream to the %s is closed already", r.peer)
	}
	if err := writeWithin(r.in, text, r.cfg.timeout); err != nil {
		return failf(st, "writing to the %s: %v", r.peer, err)
	}
	return nil
}

// writeWithin writes text to w, giving up after timeout when w is a file
// with write deadlines (a pipe): a peer that stops reading fails the case
// rather than hang it.
func writeWithin(w io.Writer, text string, timeout time.Duration) error {
	if f, ok := w.(*os.File); ok {
		f.SetWriteDeadline(time.Now().Add(timeout))
	}
	_, err := io.WriteString(w, text)
	return err
}

// noteHello records the sequence of a hello the runner sends.
func (r *kitRun) noteHello(text string) {
	v, err := decodeJSON([]byte(text))
	if m, ok := v.(map[string]any); err == nil && ok && m["type"] == "hello" {
		r.hellos[showJSON(m["sequence"])] = true
	}
}

// nextFrame waits for the next frame of the implementation under test.
func (r *kitRun) nextFrame(st kitStep) (kitFrame, error) {
	timer := time.NewTimer(r.cfg.timeout)
	defer timer.Stop()
	for {
		var results <-chan driverResult
		if r.results != nil {
			results = r.results.ch
		}
		select {
		case f, ok := <-r.frames:
			if !ok {
				return f, failf(st, "the %s closed its stream; want %s", r.peer, st.text)
			}
			if f.err != nil {
				return f, failf(st, "%v", f.err)
			}
			return f, nil
		case res, ok := <-results:
			if err := r.results.keep(res, ok); err != nil {
				return kitFrame{}, err
			}
		case <-timer.C:
			return kitFrame{}, failf(st, "the %s wrote no whole frame (a line) in %v; want %s", r.peer, r.cfg.timeout, st.text)
		}
	}
}

// expectFrame matches the next frame against the step.
func (r *kitRun) expectFrame(st kitStep) error {
	f, err := r.nextFrame(st)
	if err != nil {
		return err
	}
	if d := r.matchFrame(st, f); d != "" {
		return failf(st, "%s\n\tgot  %s\n\twant %s", d, clip(f.line), st.text)
	}
	return nil
}

// matchFrame compares a frame with a step, and notes a hello.
func (r *kitRun) matchFrame(st kitStep, f kitFrame) string {
	want, err := decodeJSON([]byte(st.text))
	if err != nil {
		return fmt.Sprintf("the case's line is not JSON: %v", err)
	}
	got, err := decodeJSON(f.line)
	if err != nil {
		return fmt.Sprintf("the frame is not JSON: %v", err)
	}
	if d := matchJSON(want, inlineBlobs(want, got, f.blobs), r.vars); d != "" {
		return d
	}
	r.noteFeatures(got)
	return ""
}

// noteFeatures records the features of the peer's hello: a host's answer
// to the runner's hello, a client's hello.
func (r *kitRun) noteFeatures(v any) {
	m, _ := v.(map[string]any)
	var hello map[string]any
	switch {
	case m["type"] == "hello":
		hello, _ = m["args"].(map[string]any)
	case m["type"] == nil && r.hellos[showJSON(m["sequence"])]:
		hello, _ = m["reply"].(map[string]any)
	}
	if list, ok := hello["features"].([]any); ok {
		r.feats = []string{}
		for _, f := range list {
			if s, ok := f.(string); ok {
				r.feats = append(r.feats, s)
			}
		}
	}
}

// unordered matches the next n frames against the next n steps, in any
// order.
func (r *kitRun) unordered(steps []kitStep) error {
	left := slices.Clone(steps)
	for range steps {
		f, err := r.nextFrame(left[0])
		if err != nil {
			return err
		}
		var diffs []string
		found := -1
		for i, st := range left {
			d := r.matchFrame(st, f)
			if d == "" {
				found = i
				break
			}
			diffs = append(diffs, fmt.Sprintf("line %d: %s", st.line, d))
		}
		if found < 0 {
			return failf(left[0], "a frame matching none of the %d unordered lines:\n\tgot %s\n\t%s", len(left), clip(f.line), strings.Join(diffs, "\n\t"))
		}
		left = slices.Delete(left, found, found+1)
	}
	return nil
}

// requires skips the case unless the peer's latest hello lists features.
func (r *kitRun) requires(st kitStep, features []string) error {
	if r.feats == nil {
		return failf(st, "! requires: no hello of the %s seen yet", r.peer)
	}
	for _, f := range features {
		if !slices.Contains(r.feats, f) {
			return &skipError{fmt.Sprintf("the %s's hello does not list %s (it lists %s)", r.peer, f, strings.Join(r.feats, ","))}
		}
	}
	return nil
}

// closeIn ends the stream to the implementation under test.
func (r *kitRun) closeIn() {
	if r.inOpen {
		r.inOpen = false
		r.in.Close()
	}
}

// drain reads what is left of the implementation's stream: nothing may
// come but its end.
func (r *kitRun) drain(st kitStep) error {
	timer := time.NewTimer(r.cfg.timeout)
	defer timer.Stop()
	select {
	case f, ok := <-r.frames:
		if !ok {
			return nil
		}
		if f.err != nil {
			return failf(st, "%v", f.err)
		}
		return failf(st, "an unexpected frame: %s", clip(f.line))
	case <-timer.C:
		return failf(st, "the %s did not close its stream in %v", r.peer, r.cfg.timeout)
	}
}

// wait waits for the process to exit; status "ok" wants exit status 0,
// "error" another.
func (r *kitRun) wait(st kitStep, status string) error {
	timer := time.NewTimer(r.cfg.timeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-r.exited:
		r.exited = nil
	case <-timer.C:
		return failf(st, "the %s did not exit in %v", r.peer, r.cfg.timeout)
	}
	var ee *exec.ExitError
	switch {
	case status == "ok" && err != nil:
		return failf(st, "the %s exited with %v, want status 0", r.peer, err)
	case status == "error" && err == nil:
		return failf(st, "the %s exited with status 0, want a failure: it must report the broken stream", r.peer)
	case status == "error" && !errors.As(err, &ee):
		return failf(st, "the %s: %v, want a non-zero exit status", r.peer, err)
	}
	return nil
}

// kill ends the process if it still runs, and waits for it.
func (r *kitRun) kill() {
	r.closeIn()
	if r.exited == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.exited
	r.exited = nil
}

// syncBuffer is a strings.Builder safe for concurrent use: a process's
// stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// finish ends the process if it still runs and adds its stderr to a
// failure.
func (r *kitRun) finish(err *error) {
	r.kill()
	close(r.done)
	var skip *skipError
	if *err != nil && !errors.As(*err, &skip) {
		*err = &caseError{err: *err, stderr: r.stderr.String()}
	}
}
