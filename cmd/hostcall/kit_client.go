package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// runClientCase runs a client case: the runner plays the host, writing
// the < lines to the client and matching its frames against the > lines;
// the client is a driver program that makes the calls the case's ! do
// lines ask for, and reports their results (testdata/conformance/README.md).
func runClientCase(c *kitCase, cfg *kitConfig) (err error) {
	var files []*os.File // the pipes: host to client, client to host, instructions, results
	for range 4 {
		pr, pw, err := os.Pipe()
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return err
		}
		files = append(files, pr, pw)
	}
	toClientR, toClientW, fromClientR, fromClientW := files[0], files[1], files[2], files[3]
	instrR, instrW, resultsR, resultsW := files[4], files[5], files[6], files[7]
	defer fromClientR.Close()
	defer resultsR.Close()
	defer instrW.Close()

	r := newKitRun(c, cfg, "client", toClientW)
	args := append(cfg.command[1:len(cfg.command):len(cfg.command)], "--host-file", "fd://3", "--host-file", "fd://4")
	r.cmd = exec.Command(cfg.command[0], args...)
	r.cmd.ExtraFiles = []*os.File{toClientR, fromClientW}
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = instrR, resultsW, r.stderr
	if err := r.start(toClientR, fromClientW, instrR, resultsW); err != nil {
		toClientW.Close()
		return err
	}
	r.results = &driverResults{ch: make(chan driverResult), pending: map[string]driverResult{}}
	go readFrames(fromClientR, r.frames, r.done)
	go readResults(resultsR, r.results.ch, r.done)
	defer r.finish(&err)
	if err := r.clientSteps(instrW); err != nil {
		return err
	}
	end := kitStep{line: c.steps[len(c.steps)-1].line, text: "the end of the case"}
	instrW.Close() // the driver closes its client and exits
	r.closeIn()
	if err := r.drain(end); err != nil {
		return err
	}
	if err := r.results.drain(end, cfg.timeout); err != nil {
		return err
	}
	return r.wait(end, "ok")
}

// clientSteps runs the steps of a client case, sending instructions to
// the driver on instr.
func (r *kitRun) clientSteps(instr io.Writer) error {
	steps := r.c.steps
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		var err error
		switch st.kind {
		case "<":
			err = r.write(st, true)
		case "<|":
			err = r.write(st, false)
		case ">":
			err = r.expectFrame(st)
		case ">|":
			err = failf(st, ">| lines are for host cases: a client writes one frame per line")
		case "!":
			var skip int
			skip, err = r.clientDirective(st, steps[i+1:], instr)
			i += skip
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// clientDirective runs a ! step of a client case and returns how many of
// the following steps it consumed.
func (r *kitRun) clientDirective(st kitStep, rest []kitStep, instr io.Writer) (int, error) {
	verb, arg, _ := strings.Cut(st.text, " ")
	switch verb {
	case "unordered":
		n, err := unorderedSteps(st, arg, rest, ">")
		if err != nil {
			return 0, err
		}
		return n, r.unordered(rest[:n])
	case "requires":
		return 0, r.requires(st, strings.Fields(arg))
	case "eof":
		r.closeIn()
	case "do":
		if _, err := decodeJSON([]byte(arg)); err != nil {
			return 0, failf(st, "! do: the instruction is not JSON: %v", err)
		}
		if err := writeWithin(instr, arg+"\n", r.cfg.timeout); err != nil {
			return 0, failf(st, "writing the instruction to the driver: %v", err)
		}
	case "expect":
		return 0, r.expectResult(st, arg)
	default:
		return 0, failf(st, "unknown directive %q in a client case", st.text)
	}
	return 0, nil
}

// expectResult waits for the driver's result with the id of want, and
// matches it.
func (r *kitRun) expectResult(st kitStep, text string) error {
	want, err := decodeJSON([]byte(text))
	m, ok := want.(map[string]any)
	if err != nil || !ok || m["id"] == nil {
		return failf(st, "! expect: want a JSON object with an id, got %s", text)
	}
	res, err := r.results.await(st, showJSON(m["id"]), r.cfg.timeout)
	if err != nil {
		return err
	}
	if d := matchJSON(want, res.v, r.vars); d != "" {
		return failf(st, "the driver's result: %s\n\tgot  %s\n\twant %s", d, clip(res.line), text)
	}
	return nil
}

// driverResult is one line the driver wrote on stdout.
type driverResult struct {
	line []byte
	id   string // the id member, as JSON
	v    any
	err  error
}

// driverResults are the driver's results, those read ahead kept by id.
type driverResults struct {
	ch      chan driverResult // nil once the driver's stdout ended
	pending map[string]driverResult
}

// readResults sends the lines of r on out, which it closes at the end of
// r, or returns once done is closed.
func readResults(r io.Reader, out chan<- driverResult, done <-chan struct{}) {
	defer close(out)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxKitFrame)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		res := driverResult{line: line}
		v, err := decodeJSON(line)
		m, ok := v.(map[string]any)
		switch {
		case err != nil || !ok || m["id"] == nil:
			res.err = fmt.Errorf("the driver wrote %q on stdout: want a JSON object with an id", clip(line))
		default:
			res.v, res.id = v, showJSON(m["id"])
		}
		select {
		case out <- res:
		case <-done:
			return
		}
	}
}

// keep files a result read while the runner waits for something else. A
// driver that does not support an operation skips the case.
func (d *driverResults) keep(res driverResult, ok bool) error {
	if !ok {
		d.ch = nil
		return nil
	}
	if res.err != nil {
		return res.err
	}
	if m, _ := res.v.(map[string]any); m != nil {
		if e, _ := m["error"].(map[string]any); e != nil && e["code"] == "unsupported" {
			msg, _ := e["message"].(string)
			return &skipError{"the client driver does not support an operation: " + msg}
		}
	}
	if _, dup := d.pending[res.id]; dup {
		return fmt.Errorf("the driver reported twice on id %s: %s", res.id, clip(res.line))
	}
	d.pending[res.id] = res
	return nil
}

// await waits for the result of id.
func (d *driverResults) await(st kitStep, id string, timeout time.Duration) (driverResult, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if res, ok := d.pending[id]; ok {
			delete(d.pending, id)
			return res, nil
		}
		if d.ch == nil {
			return driverResult{}, failf(st, "the driver ended without a result for id %s", id)
		}
		select {
		case res, ok := <-d.ch:
			if err := d.keep(res, ok); err != nil {
				return driverResult{}, err
			}
		case <-timer.C:
			return driverResult{}, failf(st, "no result for id %s in %v", id, timeout)
		}
	}
}

// drain reads the driver's results to their end: none may be left.
func (d *driverResults) drain(st kitStep, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for d.ch != nil {
		select {
		case res, ok := <-d.ch:
			if err := d.keep(res, ok); err != nil {
				return failf(st, "%v", err)
			}
		case <-timer.C:
			return failf(st, "the driver did not close its stdout in %v", timeout)
		}
	}
	for _, res := range d.pending {
		return failf(st, "a result the case does not expect: %s", clip(res.line))
	}
	return nil
}
