package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hostcall/hostcall/opener"
)

// ioTimeout bounds each read and write of the plugin, so that a host that
// stops answering shows up as a failure naming the input, not as a hang. It
// is a watchdog for liveness, not a speed requirement.
const ioTimeout = 30 * time.Second

// tally is what a plugin run reports on stdout.
type tally struct {
	// Tried counts the bad inputs written, by kind.
	Tried map[string]int `json:"tried"`
	// Outcomes counts them by outcome: a code, "served", "dropped" (a frame
	// with no recoverable sequence, which the host logs) or "skipped"
	// (garbage, nothing to answer).
	Outcomes map[string]int `json:"outcomes"`
	// Dropped counts frames the host should have logged as dropped.
	Dropped int `json:"dropped"`
	// Valid counts the valid calls answered correctly.
	Valid int `json:"valid"`
	// Invoked counts the replies of faults.* services: each is one run of a
	// service in the host, which counts them on its side.
	Invoked int `json:"invoked"`
	// Failures lists every check that failed.
	Failures []string `json:"failures"`
	// KnownBugs lists the answers that match a known deviation instead of
	// the protocol.
	KnownBugs []string `json:"knownBugs"`
	// MaxRSSKiB is the plugin's peak resident size (VmHWM).
	MaxRSSKiB int64 `json:"maxRSSKiB"`
}

// driver is the plugin's end of the connection, raw.
type driver struct {
	in    io.ReadCloser
	out   io.WriteCloser
	br    *bufio.Reader
	seq   uint64
	tally tally
	// stalled is set when the host did not answer within ioTimeout or the
	// stream failed: the run stops there.
	stalled bool
	// last is the last response read, raw.
	last []byte
}

func dial(urls []string) (*driver, error) {
	if len(urls) != 2 {
		return nil, fmt.Errorf("want two host URLs, got %q", urls)
	}
	in, err := opener.Open(urls[0], os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	out, err := opener.Open(urls[1], os.O_WRONLY)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &driver{
		in:  in,
		out: out,
		br:  bufio.NewReader(in),
		tally: tally{
			Tried:    map[string]int{},
			Outcomes: map[string]int{},
		},
	}, nil
}

func (d *driver) close() {
	d.out.Close()
	d.in.Close()
}

func (d *driver) report(w io.Writer) error {
	return json.NewEncoder(w).Encode(d.tally)
}

// next returns a fresh sequence.
func (d *driver) next() uint64 {
	d.seq++
	return d.seq
}

func (d *driver) failf(format string, a ...any) {
	d.tally.Failures = append(d.tally.Failures, fmt.Sprintf(format, a...))
}

// write writes parts in order: strings, byte slices and repeats, each
// written as it is, so that a repeat streams without being held whole.
func (d *driver) write(parts ...any) error {
	if d.stalled {
		return errors.New("stalled")
	}
	for _, p := range parts {
		var err error
		switch p := p.(type) {
		case string:
			err = d.writeBytes([]byte(p))
		case []byte:
			err = d.writeBytes(p)
		case repeat:
			for i := 0; i < p.n && err == nil; i++ {
				err = d.writeBytes(p.b)
			}
		default:
			panic(fmt.Sprintf("write: %T", p))
		}
		if err != nil {
			d.stalled = true
			d.failf("writing to the host: %v", err)
			return err
		}
	}
	return nil
}

// repeat is n copies of b, written one at a time.
type repeat struct {
	b []byte
	n int
}

func (r repeat) size() int64 { return int64(len(r.b)) * int64(r.n) }

func (d *driver) writeBytes(b []byte) error {
	if dl, ok := d.out.(interface{ SetWriteDeadline(time.Time) error }); ok {
		dl.SetWriteDeadline(time.Now().Add(ioTimeout))
	}
	_, err := d.out.Write(b)
	return err
}

// response is a host's response, decoded by encoding/json.
type response struct {
	Sequence *uint64         `json:"sequence"`
	Reply    json.RawMessage `json:"reply"`
	Services []string        `json:"services"`
	OK       bool            `json:"ok"`
	Error    string          `json:"error"`
	Code     string          `json:"code"`
}

func (r *response) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// read reads and checks the next response. It returns nil when the host
// did not answer within ioTimeout (or the stream failed), and marks the run
// stalled.
func (d *driver) read(what string) *response {
	if d.stalled {
		return nil
	}
	if dl, ok := d.in.(interface{ SetReadDeadline(time.Time) error }); ok {
		dl.SetReadDeadline(time.Now().Add(ioTimeout))
	}
	line, err := d.br.ReadBytes('\n')
	if err != nil {
		d.stalled = true
		d.failf("%s: no response (%v) after %d bytes %q", what, err, len(line), clip(line))
		return nil
	}
	d.last = line
	switch {
	case !utf8.Valid(line):
		d.failf("%s: response is not valid UTF-8: %q", what, clip(line))
	case !json.Valid(line):
		d.failf("%s: response is not JSON: %q", what, clip(line))
	case !bytes.HasPrefix(line, []byte(`{"sequence":`)):
		d.failf("%s: response does not start with its sequence: %q", what, clip(line))
	case bytes.ContainsAny(line[:len(line)-1], "\r\n"):
		d.failf("%s: response is not one line: %q", what, clip(line))
	}
	var r response
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil || r.Sequence == nil {
		d.failf("%s: undecodable response (%v): %q", what, err, clip(line))
		return &response{Sequence: new(uint64), Error: "undecodable"}
	}
	if f := hostMessageFault(line); f != "" {
		d.failf("%s: the host's error message is not clean text: %s", what, f)
	}
	return &r
}

// await reads responses until the one for seq, reporting any other as a
// failure: with one request outstanding at a time, another response is a
// frame answered that should not have been, or answered twice.
func (d *driver) await(seq uint64, what string) *response {
	for {
		r := d.read(what)
		if r == nil {
			return nil
		}
		if *r.Sequence == seq {
			return r
		}
		d.failf("%s: unexpected response %s while waiting for sequence %d", what, clip(d.last), seq)
	}
}

// quiet ends a run: with nothing outstanding, no response may arrive. It
// waits a little for stray answers to show (it can only miss one, never
// invent one).
func (d *driver) quiet() {
	if d.stalled {
		return
	}
	if dl, ok := d.in.(interface{ SetReadDeadline(time.Time) error }); ok {
		dl.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	}
	if line, err := d.br.ReadBytes('\n'); len(line) > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		d.failf("end of run: unexpected response %q (%v) with nothing outstanding", clip(line), err)
	}
}

// validCall makes a call whose answer depends on its sequence, and checks
// it. what names the bad input it follows.
func (d *driver) validCall(what string) {
	seq := d.next()
	a, b := int(seq%1000), 7
	if d.write(fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[%d,%d]}`+"\n", seq, a, b)) != nil {
		return
	}
	r := d.await(seq, "valid call after "+what)
	if r == nil {
		return
	}
	want := fmt.Sprintf("[%d]", a+b)
	if r.Error != "" || !jsonEqual(r.Reply, want) {
		d.failf("valid call after %s: got %s, want reply %s", what, r, want)
		return
	}
	d.tally.Valid++
	d.tally.Invoked++
}

// outcome is what PROTOCOL.md says the host does with a bad input.
type outcome struct {
	skip bool     // garbage: skipped, nothing answered, nothing logged
	drop bool     // a frame whose sequence cannot be recovered: dropped, logged
	none bool     // a frame that has no response of its own (a cancel)
	code []string // answered with one of these codes...
	msg  string   // ...and a message containing this
	// reply: served, with this reply (compared as JSON); invokes: by a
	// faults.* service
	reply   string
	invokes bool
	// bug, when set, names a known deviation: an answer with code bugCode
	// is reported as a known bug rather than a failure.
	bug     string
	bugCode string
}

func answered(code, msg string) outcome   { return outcome{code: []string{code}, msg: msg} }
func answeredAny(codes ...string) outcome { return outcome{code: codes} }
func dropped() outcome                    { return outcome{drop: true} }
func skipped() outcome                    { return outcome{skip: true} }
func served(reply string) outcome         { return outcome{reply: reply} }
func servedBy(reply string) outcome       { return outcome{reply: reply, invokes: true} }

// expect checks the answer to the bad input what, sent with sequence seq,
// and counts its outcome.
func (d *driver) expect(seq uint64, o outcome, what string) {
	switch {
	case o.skip, o.none:
		d.tally.Outcomes["skipped"]++
		return
	case o.drop:
		d.tally.Outcomes["dropped"]++
		d.tally.Dropped++
		return
	}
	r := d.await(seq, what)
	if r == nil {
		return
	}
	if o.reply != "" {
		if r.Error != "" || !jsonEqual(r.Reply, o.reply) {
			d.failf("%s: got %s, want it served with reply %s", what, r, o.reply)
			return
		}
		d.tally.Outcomes["served"]++
		if o.invokes {
			d.tally.Invoked++
		}
		return
	}
	switch {
	case o.bug != "" && r.Code == o.bugCode:
		d.tally.KnownBugs = append(d.tally.KnownBugs, fmt.Sprintf("%s: %s: got %s, want code %v", what, o.bug, r, o.code))
		d.tally.Outcomes["known-bug"]++
		return
	case !slices.Contains(o.code, r.Code) || r.Error == "" || !strings.Contains(r.Error, o.msg):
		d.failf("%s: got %s, want code %v and an error containing %q", what, r, o.code, o.msg)
		return
	}
	d.tally.Outcomes[r.Code]++
}

// step is one bad input: send writes it with sequence seq.
type step struct {
	kind string // the tally's kind; "" for a valid input checked on the way
	what string
	send func(d *driver, seq uint64) error
	want outcome
	// run, when set, replaces send and want: a script of several frames
	// that does its own checks.
	run func(d *driver, what string)
}

// runSteps runs each step, each followed by a valid call, until the end or
// a stall.
func (d *driver) runSteps(steps []step) {
	for _, s := range steps {
		if d.stalled {
			d.failf("stopped before %q: the host stalled", s.what)
			return
		}
		what := s.what
		if s.kind != "" {
			what = s.kind + ": " + s.what
			d.tally.Tried[s.kind]++
		}
		if s.run != nil {
			s.run(d, what)
		} else {
			seq := d.next()
			if s.send(d, seq) != nil {
				return
			}
			d.expect(seq, s.want, what)
		}
		d.validCall(what)
	}
}

// frame returns a step's sender writing text, with %d replaced by the
// sequence, and a newline.
func frame(text string) func(d *driver, seq uint64) error {
	return func(d *driver, seq uint64) error {
		return d.write(strings.ReplaceAll(text, "%d", fmt.Sprint(seq)) + "\n")
	}
}

func jsonEqual(a json.RawMessage, b string) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// clip shortens b for a message.
func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + fmt.Sprintf("...(%d bytes)", len(b))
	}
	return string(b)
}
