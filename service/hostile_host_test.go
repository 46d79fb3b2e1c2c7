//go:build linux

package service_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/service"
)

// A caller's context is honoured whatever the host does: each case below
// is a host that writes part of an answer and stops, on every transport a
// plugin may be given. The call must return at its deadline (the watchdog
// only proves it does not hang) and the connection must stay in step: once
// the host finishes what it started, the next call gets its own answer.

// transport opens a client on two pipes the way a plugin is told to.
type transport struct {
	name string
	dial func(t *testing.T) (*service.Client, *fakeHost)
}

var transports = []transport{
	{"procfs", dialProcfs},
	{"fifo", dialFIFO},
	{"fd", dialFD},
}

// fakeHost is the test's end of the pipes: it reads the client's frames
// line by line and writes whatever bytes the case wants.
type fakeHost struct {
	t  *testing.T
	in *bufio.Reader // the client's requests
	r  *os.File
	w  *os.File // to the client
}

// next returns the client's next frame.
func (h *fakeHost) next() string {
	h.t.Helper()
	line, err := h.in.ReadString('\n')
	if err != nil {
		h.t.Fatalf("reading the client's frame: %v", err)
	}
	return line
}

// write writes raw bytes to the client.
func (h *fakeHost) write(s string) {
	h.t.Helper()
	if _, err := h.w.WriteString(s); err != nil {
		h.t.Fatalf("writing to the client: %v", err)
	}
}

// hello answers the client's hello as a protocol 2 host.
func (h *fakeHost) hello() {
	h.t.Helper()
	if f := h.next(); !strings.Contains(f, `"type":"hello"`) {
		h.t.Fatalf("first frame %q, want hello", f)
	}
	h.write(`{"sequence":1,"reply":{"protocol":2,"features":["cancel","timeout","codes","blobs"],"maxFrame":67108864}}` + "\n")
}

// expectCall reads frames until a call, skipping cancels, and returns its
// sequence.
func (h *fakeHost) expectCall() uint64 {
	h.t.Helper()
	for {
		f := h.next()
		if strings.Contains(f, `"type":"cancel"`) {
			continue
		}
		var seq uint64
		if _, err := fmt.Sscanf(f, `{"sequence":%d,`, &seq); err != nil || !strings.Contains(f, `"type":"call"`) {
			h.t.Fatalf("frame %q, want a call", f)
		}
		return seq
	}
}

func newFakeHost(t *testing.T, r, w *os.File) *fakeHost {
	t.Cleanup(func() { r.Close(); w.Close() })
	return &fakeHost{t: t, in: bufio.NewReader(r), r: r, w: w}
}

func dialProcfs(t *testing.T) (*service.Client, *fakeHost) {
	p := hosttest.NewPipes(t)
	c, err := service.Dial(context.Background(), []string{
		fmt.Sprintf("file:///proc/self/fd/%d", p.PluginR.Fd()),
		fmt.Sprintf("file:///proc/self/fd/%d", p.PluginW.Fd()),
	})
	if err != nil {
		t.Fatal(err)
	}
	p.PluginR.Close()
	p.PluginW.Close()
	return c, newFakeHost(t, p.HostR, p.HostW)
}

func dialFIFO(t *testing.T) (*service.Client, *fakeHost) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, p := range []string{in, out} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// O_RDWR opens a FIFO without waiting for the other end.
	hw, err := os.OpenFile(in, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := os.OpenFile(out, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := service.Dial(context.Background(), []string{"file://" + in, "file://" + out})
	if err != nil {
		t.Fatal(err)
	}
	return c, newFakeHost(t, hr, hw)
}

// fdBase numbers the descriptors of the fd transport: an fd URL may adopt
// a number once per process, so every test gets numbers of its own.
var fdBase atomic.Int32

func dialFD(t *testing.T) (*service.Client, *fakeHost) {
	var resp, req [2]int
	if err := unix.Pipe2(resp[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	if err := unix.Pipe2(req[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	base := 600 + int(fdBase.Add(2))
	r, err := unix.FcntlInt(uintptr(resp[0]), unix.F_DUPFD_CLOEXEC, base)
	if err != nil {
		t.Fatal(err)
	}
	w, err := unix.FcntlInt(uintptr(req[1]), unix.F_DUPFD_CLOEXEC, base+1)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(resp[0])
	unix.Close(req[1])
	c, err := service.Dial(context.Background(), []string{fmt.Sprintf("fd://%d", r), fmt.Sprintf("fd://%d", w)})
	if err != nil {
		t.Fatal(err)
	}
	return c, newFakeHost(t, os.NewFile(uintptr(req[0]), "requests"), os.NewFile(uintptr(resp[1]), "responses"))
}

// stalledCase is a host that starts the answer to call seq and stops;
// finish writes the rest.
type stalledCase struct {
	name   string
	start  func(seq uint64) string
	finish string
}

var stalledCases = []stalledCase{
	{"half a frame", func(seq uint64) string { return fmt.Sprintf(`{"sequence":%d,"reply":[`, seq) }, "3]}\n"},
	{"half a string", func(seq uint64) string { return fmt.Sprintf(`{"sequence":%d,"reply":["abc`, seq) }, "def\"]}\n"},
	{"blobs announced, not sent", func(seq uint64) string {
		return fmt.Sprintf(`{"sequence":%d,"blobs":[1000],"reply":[0]}`+"\n", seq)
	}, strings.Repeat("x", 1000)},
	{"blobs sent in part", func(seq uint64) string {
		return fmt.Sprintf(`{"sequence":%d,"blobs":[600,600],"reply":[0]}`+"\n", seq) + strings.Repeat("y", 700)
	}, strings.Repeat("y", 500)},
	{"the frame's newline before its blobs", func(seq uint64) string {
		return fmt.Sprintf(`{"sequence":%d,"blobs":[4],"reply":[0]}`, seq)
	}, "\nzzzz"},
}

const (
	callDeadline = 300 * time.Millisecond
	watchdog     = 10 * time.Second
)

// callWithin makes an add call with deadline d and fails the test if it
// has not returned within the watchdog.
func callWithin(t *testing.T, add func(context.Context, int, int) (int, error), d time.Duration) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := add(ctx, 1, 2)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-time.After(watchdog):
		t.Fatalf("a call with a %v deadline has not returned after %v", d, watchdog)
		return 0, nil
	}
}

func TestDeadlineHonouredWhateverTheHostWrites(t *testing.T) {
	for _, tr := range transports {
		for _, tc := range stalledCases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				c, h := tr.dial(t)
				defer c.Close()
				var add func(context.Context, int, int) (int, error)
				if err := c.GetService("calc", "add", &add); err != nil {
					t.Fatal(err)
				}
				h.hello()
				go func() {
					seq := h.expectCall()
					h.w.WriteString(tc.start(seq))
				}()
				_, err := callWithin(t, add, callDeadline)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("call against a stalled host: %v, want its deadline exceeded", err)
				}
				// The host finishes what it started, then answers the next
				// call: the client is still in step.
				h.write(tc.finish)
				go func() {
					seq := h.expectCall()
					h.w.WriteString(fmt.Sprintf(`{"sequence":%d,"reply":[%d]}`+"\n", seq, 1000+seq))
				}()
				n, err := callWithin(t, add, watchdog/2)
				if err != nil || n < 1000 {
					t.Fatalf("next call = %d, %v; want the host's answer to it", n, err)
				}
			})
		}
	}
}

// An honest host that writes one reply in two parts, the second after the
// caller's deadline: the call fails at its deadline instead of waiting for
// the second part and succeeding late.
func TestSlowSplitReplyDoesNotOutliveTheDeadline(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c, h := tr.dial(t)
			defer c.Close()
			var add func(context.Context, int, int) (int, error)
			if err := c.GetService("calc", "add", &add); err != nil {
				t.Fatal(err)
			}
			h.hello()
			second := make(chan struct{})
			go func() {
				seq := h.expectCall()
				h.w.WriteString(fmt.Sprintf(`{"sequence":%d,"rep`, seq))
				<-second
				h.w.WriteString(`ly":[3]}` + "\n")
			}()
			n, err := callWithin(t, add, callDeadline)
			close(second)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("call = %d, %v; want its deadline exceeded before the second part", n, err)
			}
		})
	}
}

// A host that stops reading and then goes away: callers blocked waiting
// for room to send (no context to save them) fail with ErrClosed once the
// read side has failed, instead of spinning or waiting forever.
func TestFullPipeAfterReadFailure(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c, h := tr.dial(t)
			defer c.Close()
			var echo func([]byte) ([]byte, error)
			if err := c.GetService("calc", "echo", &echo); err != nil {
				t.Fatal(err)
			}
			h.hello()
			const callers = 8
			errs := make(chan error, callers)
			payload := make([]byte, 1<<20)
			for i := 0; i < callers; i++ {
				go func() {
					_, err := echo(payload)
					errs <- err
				}()
			}
			// The host reads nothing more: 8 MiB cannot fit the pipe and
			// the writer's queue, so callers wait for room. Then it goes.
			time.Sleep(100 * time.Millisecond)
			h.w.Close()
			h.r.Close()
			for i := 0; i < callers; i++ {
				select {
				case err := <-errs:
					if !errors.Is(err, service.ErrClosed) {
						t.Errorf("caller %d: %v, want ErrClosed", i, err)
					}
				case <-time.After(watchdog):
					t.Fatalf("%d callers still blocked %v after the host went away", callers-i, watchdog)
				}
			}
		})
	}
}
