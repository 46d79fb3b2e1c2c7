package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// runHostCase runs a host case: the runner plays the plugin, writing the
// > lines to the host's stdin and matching what the host writes on its
// stdout against the < lines.
func runHostCase(c *kitCase, cfg *kitConfig) (err error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return err
	}
	defer outR.Close()
	r := newKitRun(c, cfg, "host", inW)
	r.cmd = exec.Command(cfg.command[0], cfg.command[1:]...)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = inR, outW, r.stderr
	err = r.start(inR, outW)
	if err != nil {
		inW.Close()
		return err
	}
	go readFrames(outR, r.frames, r.done)
	defer r.finish(&err)
	ended, err := r.hostSteps()
	if err != nil || ended {
		return err
	}
	end := kitStep{line: c.steps[len(c.steps)-1].line, text: "the end of the case"}
	r.closeIn()
	if err := r.drain(end); err != nil {
		return err
	}
	return r.wait(end, "ok")
}

// hostSteps runs the steps of a host case; ended says whether an ! end
// step ended it.
func (r *kitRun) hostSteps() (ended bool, err error) {
	steps := r.c.steps
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		switch st.kind {
		case ">":
			err = r.write(st, true)
		case ">|":
			err = r.write(st, false)
		case "<":
			err = r.expectFrame(st)
		case "<|":
			err = failf(st, "<| lines are for client cases: a host writes one frame per line")
		case "!":
			var skip int
			skip, ended, err = r.hostDirective(st, steps[i+1:])
			i += skip
		}
		if err != nil || ended {
			return ended, err
		}
	}
	return false, nil
}

// hostDirective runs a ! step of a host case. It returns how many of the
// following steps it consumed, and whether it ended the case.
func (r *kitRun) hostDirective(st kitStep, rest []kitStep) (skip int, ended bool, err error) {
	verb, arg, _ := strings.Cut(st.text, " ")
	switch verb {
	case "unordered":
		n, err := unorderedSteps(st, arg, rest, "<")
		if err != nil {
			return 0, false, err
		}
		return n, false, r.unordered(rest[:n])
	case "requires":
		return 0, false, r.requires(st, strings.Fields(arg))
	case "eof":
		r.closeIn()
	case "shutdown":
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return 0, false, failf(st, "signaling the host: %v", err)
		}
	case "end":
		status := strings.TrimSpace(arg)
		if status == "" {
			status = "ok"
		}
		if status != "ok" && status != "error" {
			return 0, false, failf(st, "want ! end, ! end ok or ! end error")
		}
		if err := r.drain(st); err != nil {
			return 0, false, err
		}
		return 0, true, r.wait(st, status)
	default:
		return 0, false, failf(st, "unknown directive %q in a host case", st.text)
	}
	return 0, false, nil
}

// unorderedSteps checks the count of an ! unordered N directive: N lines
// of kind follow.
func unorderedSteps(st kitStep, arg string, rest []kitStep, kind string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || n < 1 || n > len(rest) {
		return 0, failf(st, "want ! unordered N, with N %s lines after it", kind)
	}
	for _, s := range rest[:n] {
		if s.kind != kind {
			return 0, failf(s, "! unordered %d: want %d %s lines, got %s", n, n, kind, s.kind)
		}
	}
	return n, nil
}

// newKitRun prepares a run of c writing to in.
func newKitRun(c *kitCase, cfg *kitConfig, peer string, in *os.File) *kitRun {
	return &kitRun{
		c: c, cfg: cfg, peer: peer,
		in: in, inOpen: true,
		frames: make(chan kitFrame),
		done:   make(chan struct{}),
		stderr: &syncBuffer{},
		vars:   vars{},
		hellos: map[string]bool{},
	}
}

// start starts the process and closes the parent's copies of the child's
// descriptors.
func (r *kitRun) start(childFiles ...*os.File) error {
	err := r.cmd.Start()
	for _, f := range childFiles {
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("starting the %s: %v", r.peer, err)
	}
	r.exited = make(chan error, 1)
	go func() { r.exited <- r.cmd.Wait() }()
	return nil
}
