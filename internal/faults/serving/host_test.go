package serving

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
)

// watchdog bounds each wait of the hostile host for the plugin: a frame
// that has not come after it is a hang. runTimeout bounds a whole run.
// Liveness only: no test asserts how fast anything is.
const (
	watchdog   = 20 * time.Second
	runTimeout = 2 * time.Minute
)

// testPlugin is the test binary as a plugin, discovered once.
var testPlugin = sync.OnceValues(func() (*pluginexec.Plugin, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return pluginexec.NewPlugin(context.Background(), exe, pluginexec.WithEnv(pluginEnv+"=1", "GORACE=atexit_sleep_ms=0"))
})

// codes is PROTOCOL.md section 4's table.
var codes = []string{"unknown_namespace", "unknown_service", "bad_request", "bad_arguments", "service_error",
	"panic", "canceled", "deadline_exceeded", "too_large", "unavailable"}

// hostile is a host that is not one: the test writes raw bytes to a real
// plugin process serving its registry (service.Serve), and reads what the
// plugin writes back, frame by frame, checked and decoded by encoding/json
// (an implementation independent of the one under test).
type hostile struct {
	t      *testing.T
	opts   runOptions
	w      *os.File // to the plugin
	r      *os.File // from the plugin
	ctl    *os.File // the plugin's stdin: "release", "exit"
	frames chan *frame
	stash  []*frame      // frames read but not yet wanted
	paused chan struct{} // non-nil: the reader stops until it is closed
	seq    uint64        // the host's last request sequence
	ended  error         // why the plugin's stream ended, once read

	stdout, stderr hosttest.SyncBuffer
	runDone        chan error
	cancel         context.CancelFunc
	readDone       chan struct{}
	finished       bool

	mu     sync.Mutex
	faults []string // found by the reader goroutine
	cutOK  bool     // a frame cut short at the end is no fault: the plugin's write was interrupted
}

// runOptions configure a run.
type runOptions struct {
	// args are the plugin's: mode=..., maxFrame=..., maxInFlight=...
	args []string
	// hostMaxFrame is the limit the host's hello answer announces
	// (default 64 MiB).
	hostMaxFrame int
	// hostServesNot: the host's hello answer does not list "serve" (no
	// honest host says that: every host serves).
	hostServesNot bool
}

// frame is one frame the plugin wrote, with its blobs.
type frame struct {
	raw   string // the line, without its newline
	blobs [][]byte
	msg   message
	class string // "hello", "request" or "response"
}

// message is a frame decoded by encoding/json, every member of PROTOCOL.md
// sections 3, 4 and 6 (an unknown member is a fault).
type message struct {
	Sequence  *uint64         `json:"sequence"`
	Type      string          `json:"type"`
	Namespace string          `json:"namespace"`
	Name      string          `json:"name"`
	Args      json.RawMessage `json:"args"`
	Timeout   int64           `json:"timeout"`
	Blobs     []int64         `json:"blobs"`
	Reply     json.RawMessage `json:"reply"`
	Services  []string        `json:"services"`
	OK        bool            `json:"ok"`
	Error     string          `json:"error"`
	Code      string          `json:"code"`
}

// startPlugin runs the plugin on fresh pipes, given to it as inherited
// descriptors, and answers its hello; with serving, it waits for the
// second hello, the one that lists "serve", and answers it too.
func startPlugin(t *testing.T, opts runOptions, serving bool) *hostile {
	t.Helper()
	h := launch(t, opts)
	h.handshake(serving)
	return h
}

// launch starts the plugin without answering anything.
func launch(t *testing.T, opts runOptions) *hostile {
	t.Helper()
	hosttest.CheckGoroutines(t)
	checkFDs(t)
	plug, err := testPlugin()
	if err != nil {
		t.Fatal(err)
	}
	if opts.hostMaxFrame == 0 {
		opts.hostMaxFrame = 64 << 20
	}
	pluginR, hostW := mustPipe(t)
	hostR, pluginW := mustPipe(t)
	ctlR, ctlW := mustPipe(t)
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	h := &hostile{t: t, opts: opts, w: hostW, r: hostR, ctl: ctlW, frames: make(chan *frame, 1<<18),
		runDone: make(chan error, 1), cancel: cancel, readDone: make(chan struct{})}
	pipes := func(ec *pluginexec.ExecConfig) {
		first := 3 + ec.NumExtraFiles()
		pluginexec.WithExtraFiles(pluginR, pluginW)(ec)
		pluginexec.WithPrependArgs("--host-file", fmt.Sprintf("fd://%d", first), "--host-file", fmt.Sprintf("fd://%d", first+1))(ec)
	}
	// Once the plugin has its copies, the host closes its own: it reads EOF
	// when the plugin's end closes.
	closeTheirs := pluginexec.WithStartHook(func() func(int) {
		return func(int) { pluginR.Close(); pluginW.Close(); ctlR.Close() }
	})
	go func() {
		h.runDone <- pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, "run"), opts.args,
			pluginexec.WithEnv(pluginEnv+"=1", "GORACE=atexit_sleep_ms=0"),
			pluginexec.WithStdout(&h.stdout), pluginexec.WithStderr(&h.stderr), pluginexec.WithStdin(ctlR),
			pipes, closeTheirs)
	}()
	go h.read()
	t.Cleanup(h.cleanup)
	return h
}

func mustPipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return r, w
}

// cleanup ends a run that finish did not (the test failed): it closes the
// host's ends, ends the plugin (SIGTERM, then SIGKILL) and waits for it.
func (h *hostile) cleanup() {
	if !h.finished {
		h.cancel()
		h.w.Close()
		h.r.Close()
		h.ctl.Close()
		h.resume()
		select {
		case <-h.runDone:
		case <-time.After(runTimeout):
			h.t.Errorf("the plugin still runs %v after the host closed everything", runTimeout)
		}
		go func() {
			for range h.frames { // unblock the reader
			}
		}()
		<-h.readDone
	}
	h.cancel()
	h.w.Close()
	h.r.Close()
	h.ctl.Close()
	h.reportFaults()
	if h.t.Failed() {
		h.t.Logf("plugin stderr:\n%s", h.stderr.String())
	}
}

func (h *hostile) fault(format string, a ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, fmt.Sprintf(format, a...))
}

func (h *hostile) reportFaults() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.faults {
		h.t.Errorf("plugin frame: %s", f)
	}
	h.faults = nil
}

// read reads the plugin's frames until its stream ends.
func (h *hostile) read() {
	defer close(h.readDone)
	defer close(h.frames)
	br := bufio.NewReaderSize(h.r, 1<<16)
	for {
		h.mu.Lock()
		paused := h.paused
		h.mu.Unlock()
		if paused != nil {
			<-paused
		}
		f, err := h.readFrame(br)
		if err != nil {
			h.frames <- &frame{class: "end", raw: err.Error()}
			return
		}
		h.frames <- f
	}
}

// pause stops reading the plugin's stream, after the frame being read:
// the host no longer reads what the plugin writes, until resume.
func (h *hostile) pause() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.paused == nil {
		h.paused = make(chan struct{})
	}
}

// resume reads the plugin's stream again.
func (h *hostile) resume() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.paused != nil {
		close(h.paused)
		h.paused = nil
	}
}

// readFrame reads and checks one frame and its blobs: one line of compact
// JSON, valid UTF-8, sequence first, no unknown member, an error message
// that is clean text and a code from the table.
func (h *hostile) readFrame(br *bufio.Reader) (*frame, error) {
	line, err := br.ReadBytes('\n')
	if err != nil {
		h.mu.Lock()
		cutOK := h.cutOK
		h.mu.Unlock()
		if len(line) > 0 && !cutOK {
			h.fault("the stream ended inside a frame: %q", clip(line))
		}
		return nil, err
	}
	line = line[:len(line)-1]
	f := &frame{raw: string(line)}
	switch {
	case !utf8.Valid(line):
		h.fault("not valid UTF-8: %q", clip(line))
	case !json.Valid(line):
		h.fault("not JSON: %q", clip(line))
	case !bytes.HasPrefix(line, []byte(`{"sequence":`)):
		h.fault("does not start with its sequence: %q", clip(line))
	case bytes.ContainsAny(line, "\r\n\t"):
		h.fault("not compact: %q", clip(line))
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f.msg); err != nil || f.msg.Sequence == nil {
		h.fault("undecodable (%v): %q", err, clip(line))
		f.msg.Sequence = new(uint64)
	}
	switch f.msg.Type {
	case "hello":
		f.class = "hello"
	case "":
		f.class = "response"
	default:
		f.class = "request"
	}
	if m := f.msg; m.Error != "" || m.Code != "" {
		if fault := messageFault(m.Error); fault != "" || m.Error == "" {
			h.fault("error message %q of %q is not clean text: %s", m.Error, clip(line), fault)
		}
		if !slices.Contains(codes, m.Code) {
			h.fault("code %q of %q is not in the table", m.Code, clip(line))
		}
	}
	for _, n := range f.msg.Blobs {
		if n < 0 || n > 64<<20 {
			return nil, fmt.Errorf("blob of %d bytes announced by %q", n, clip(line))
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			h.fault("blob of %d bytes cut short (%v) after %q", n, err, clip(line))
			return nil, err
		}
		f.blobs = append(f.blobs, b)
	}
	return f, nil
}

// next returns the next frame of class ("hello", "request", "response"),
// keeping the others for later; nil once the stream has ended.
func (h *hostile) next(class, what string) *frame {
	h.t.Helper()
	f := h.nextWithin(class, what, watchdog)
	if f == nil {
		h.t.Fatalf("%s: no %s from the plugin within %v: hung (frames read meanwhile: %d)", what, class, watchdog, len(h.stash))
	}
	return f
}

// nextWithin is next, returning nil when no such frame came within d.
func (h *hostile) nextWithin(class, what string, d time.Duration) *frame {
	h.t.Helper()
	for i, f := range h.stash {
		if f.class == class {
			h.stash = slices.Delete(h.stash, i, i+1)
			return f
		}
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-h.frames:
			if !ok || f.class == "end" {
				if ok {
					h.ended = fmt.Errorf("%s", f.raw)
				}
				h.t.Fatalf("%s: the plugin's stream ended (%v) while the host waited for a %s", what, h.ended, class)
			}
			if f.class == class {
				return f
			}
			h.stash = append(h.stash, f)
		case <-timer.C:
			return nil
		}
	}
}

// send writes raw bytes to the plugin.
func (h *hostile) send(parts ...string) {
	h.t.Helper()
	h.w.SetWriteDeadline(time.Now().Add(watchdog))
	for _, p := range parts {
		if _, err := h.w.WriteString(p); err != nil {
			h.t.Fatalf("writing to the plugin: %v", err)
		}
	}
}

// nextSeq returns a fresh sequence of the host's.
func (h *hostile) nextSeq() uint64 {
	h.seq++
	return h.seq
}

// expect reads the next response and checks it is exactly want.
func (h *hostile) expect(what, want string) *frame {
	h.t.Helper()
	f := h.next("response", what)
	if f.raw != want {
		h.t.Errorf("%s: the plugin answered\n\t%s\nwant\n\t%s", what, f.raw, want)
	}
	return f
}

// expectSet reads len(wants) responses, in any order, and checks they are
// exactly wants.
func (h *hostile) expectSet(what string, wants ...string) {
	h.t.Helper()
	var got []string
	for range wants {
		got = append(got, h.next("response", what).raw)
	}
	sort.Strings(got)
	want := slices.Clone(wants)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		h.t.Errorf("%s: the plugin answered\n\t%s\nwant, in any order\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// pluginHello is the hello the plugin says, serving or not.
func pluginHello(seq uint64, serving bool, maxFrame int) string {
	features := `["cancel","timeout","codes","blobs","callbacks","streams","batches"]`
	if serving {
		features = `["cancel","timeout","codes","blobs","callbacks","streams","batches","serve"]`
	}
	return fmt.Sprintf(`{"sequence":%d,"type":"hello","args":{"protocol":2,"features":%s,"maxFrame":%d}}`, seq, features, maxFrame)
}

// hostHello is the hostile host's answer to a hello: a protocol 2 host
// that serves, as every host does (unless hostServesNot).
func (h *hostile) hostHello(seq uint64) string {
	features := `["cancel","timeout","codes","blobs","serve"]`
	if h.opts.hostServesNot {
		features = `["cancel","timeout","codes","blobs"]`
	}
	return fmt.Sprintf(`{"sequence":%d,"reply":{"protocol":2,"features":%s,"maxFrame":%d}}`+"\n",
		seq, features, h.opts.hostMaxFrame)
}

// pluginMaxFrame is the limit the plugin announces.
func (h *hostile) pluginMaxFrame() int {
	for _, a := range h.opts.args {
		var n int
		if _, err := fmt.Sscanf(a, "maxFrame=%d", &n); err == nil {
			return n
		}
	}
	return 64 << 20
}

// handshake answers the plugin's first hello and, with serving, waits for
// and answers the second one, which lists "serve".
func (h *hostile) handshake(serving bool) {
	h.t.Helper()
	f := h.next("hello", "the plugin's hello")
	if want := pluginHello(1, false, h.pluginMaxFrame()); f.raw != want {
		h.t.Fatalf("the plugin's first frame is\n\t%s\nwant\n\t%s", f.raw, want)
	}
	h.send(h.hostHello(1))
	if !serving {
		return
	}
	f = h.next("hello", "the plugin's hello as it serves")
	if want := pluginHello(2, true, h.pluginMaxFrame()); f.raw != want {
		h.t.Fatalf("the plugin's hello as it serves is\n\t%s\nwant\n\t%s", f.raw, want)
	}
	h.send(h.hostHello(2))
}

// call is a call frame of the host's, to namespace p.
func call(seq uint64, name, args string) string {
	return fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"p","name":"%s","args":%s}`+"\n", seq, name, args)
}

// reply is the plugin's answer to a served call.
func reply(seq uint64, results string) string {
	return fmt.Sprintf(`{"sequence":%d,"reply":%s}`, seq, results)
}

// refusal is the plugin's answer to a refused request.
func refusal(seq uint64, code, msg string) string {
	b, _ := json.Marshal(msg)
	return fmt.Sprintf(`{"sequence":%d,"error":%s,"code":"%s"}`, seq, b, code)
}

// valid makes a call whose answer depends on its sequence and checks the
// answer: the plugin still serves, and answers each request its own.
func (h *hostile) valid(what string) {
	h.t.Helper()
	seq := h.nextSeq()
	h.send(call(seq, "add", fmt.Sprintf("[%d,1000]", seq)))
	h.expect("valid call after "+what, reply(seq, fmt.Sprintf("[%d]", seq+1000)))
}

// ending is how a run should end.
type ending struct {
	serveErr string // what Serve returned, a substring; "" for nil
	noServe  bool   // the plugin's Serve never ran (modes noserve, late before serving)
	execErr  string // in Exec's error, a substring; "" for nil
	// keepWriting: the host does not close its stream first (it did, or
	// the plugin ends the connection itself).
	keepWriting bool
	// stray, when set, takes the frames read after the end, which are
	// otherwise faults: answers the host did not read in time.
	stray func(f *frame)
	// neverRead: the host reads nothing more (see pause) until the plugin
	// has exited.
	neverRead bool
}

// finish closes the host's stream, reads the plugin's to its end (no
// frame may come that the test did not take), waits for the plugin to exit
// and returns its report, checked: Serve returned as want says, no
// goroutine left in the plugin.
func (h *hostile) finish(want ending) *report {
	h.t.Helper()
	if !want.keepWriting {
		h.w.Close()
	}
	for _, f := range h.stash {
		h.t.Errorf("a frame the test did not expect: %s", f.raw)
	}
	h.stash = nil
	if !want.neverRead {
		h.resume()
		h.drain(want.stray)
	}
	var err error
	select {
	case err = <-h.runDone:
	case <-time.After(runTimeout):
		h.t.Fatalf("the plugin still runs %v after the end of its connection: hung\nstderr:\n%s", runTimeout, h.stderr.String())
	}
	if want.neverRead {
		// The plugin gave up writing to a host that did not read: its last
		// frame may be cut short.
		h.mu.Lock()
		h.cutOK = true
		h.mu.Unlock()
		h.resume()
		h.drain(want.stray)
	}
	h.finished = true
	<-h.readDone
	h.ctl.Close()
	switch {
	case want.execErr == "" && err != nil:
		h.t.Errorf("the plugin's run: %v, want it to exit 0", err)
	case want.execErr != "" && (err == nil || !strings.Contains(err.Error(), want.execErr)):
		h.t.Errorf("the plugin's run: %v, want an error containing %q", err, want.execErr)
	}
	var rep report
	if jerr := json.Unmarshal([]byte(h.stdout.String()), &rep); jerr != nil {
		h.t.Fatalf("the plugin printed no report (%v): stdout %q, run: %v\nstderr:\n%s", jerr, h.stdout.String(), err, h.stderr.String())
	}
	switch {
	case want.noServe && rep.ServeReturned:
		h.t.Errorf("Serve ran and returned %q, want it never called", rep.ServeErr)
	case !want.noServe && !rep.ServeReturned:
		h.t.Errorf("Serve did not return")
	case want.serveErr == "" && rep.ServeErr != "":
		h.t.Errorf("Serve returned %q, want nil", rep.ServeErr)
	case want.serveErr != "" && !strings.Contains(rep.ServeErr, want.serveErr):
		h.t.Errorf("Serve returned %q, want an error containing %q", rep.ServeErr, want.serveErr)
	}
	if rep.Leaked != "" {
		h.t.Errorf("the plugin left goroutines once its client was closed: %s", rep.Leaked)
	}
	return &rep
}

// drain reads the rest of the plugin's stream: nothing may come, unless
// stray takes it.
func (h *hostile) drain(stray func(*frame)) {
	h.t.Helper()
	timer := time.NewTimer(runTimeout)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-h.frames:
			if !ok {
				return
			}
			switch {
			case f.class == "end":
				h.ended = fmt.Errorf("%s", f.raw)
			case stray != nil:
				stray(f)
			default:
				h.t.Errorf("a frame the test did not expect: %s", f.raw)
			}
		case <-timer.C:
			h.t.Fatalf("the plugin's stream still open %v after the host closed its own: hung", runTimeout)
		}
	}
}

// control writes a command on the plugin's stdin.
func (h *hostile) control(cmd string) {
	h.t.Helper()
	if _, err := h.ctl.WriteString(cmd + "\n"); err != nil {
		h.t.Fatalf("telling the plugin %q: %v", cmd, err)
	}
}

// clip shortens b for a message.
func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + fmt.Sprintf("...(%d bytes)", len(b))
	}
	return string(b)
}
