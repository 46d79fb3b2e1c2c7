package serving

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/engine"
	"github.com/hostcall/hostcall/internal/wire"
)

// flooder writes a flood of frames to the plugin from a goroutine, so
// that the test goes on reading (or not) meanwhile.
type flooder struct {
	written atomic.Int64
	done    chan error
}

// flood writes the frames frame(i) for i in [from, to), several to a
// write of at most PIPE_BUF (4096) bytes, until done or a write fails. A
// pipe takes such a write whole or not at all: when the host closes its end
// under the flood, the stream ends between two frames.
func (h *hostile) flood(from, to uint64, frame func(seq uint64) string) *flooder {
	f := &flooder{done: make(chan error, 1)}
	h.w.SetWriteDeadline(time.Now().Add(runTimeout))
	go func() {
		var buf bytes.Buffer
		for seq := from; seq < to; seq++ {
			next := frame(seq)
			if buf.Len()+len(next) > 4096 {
				n, err := h.w.Write(buf.Bytes())
				f.written.Add(int64(n))
				if err != nil {
					f.done <- err
					return
				}
				buf.Reset()
			}
			buf.WriteString(next)
			if seq == to-1 {
				n, err := h.w.Write(buf.Bytes())
				f.written.Add(int64(n))
				if err != nil {
					f.done <- err
					return
				}
				buf.Reset()
			}
		}
		f.done <- nil
	}()
	return f
}

// wait waits for the flood to end and returns its error.
func (f *flooder) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-f.done:
		return err
	case <-time.After(runTimeout):
		t.Fatalf("the flood is not written after %v: the plugin stopped reading", runTimeout)
		return nil
	}
}

// awaitWritten waits until the flood has written n bytes, or ended.
func (f *flooder) awaitWritten(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(runTimeout); f.written.Load() < n; time.Sleep(time.Millisecond) {
		select {
		case err := <-f.done:
			f.done <- err
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the flood wrote %d bytes in %v, want %d: the plugin stopped reading", f.written.Load(), runTimeout, n)
		}
	}
}

// holdWants are the answers to p.hold calls from..to-1 released.
func holdWants(from, to uint64) []string {
	var w []string
	for seq := from; seq < to; seq++ {
		w = append(w, reply(seq, "[]"))
	}
	return w
}

// TestInFlightBound: a serving plugin runs at most MaxInFlight of the
// host's calls at once, each in a goroutine; as many more wait in a queue,
// without one, and then the plugin stops reading (engine.Config,
// host.WithMaxInFlight). Calls held until released show it: with the bound
// at 4, 8 held calls (one of the queued ones canceled) and 200 calls behind
// them, the first release answers calls 1 to 4 only, the second the rest.
func TestInFlightBound(t *testing.T) {
	h := startPlugin(t, runOptions{args: []string{"maxInFlight=4"}}, true)
	var text strings.Builder
	for seq := uint64(1); seq <= 8; seq++ {
		text.WriteString(call(seq, "hold", "[]"))
	}
	h.send(text.String())
	h.send(call(7, "add", "[1,2]"))
	h.expect("a call reusing the sequence of a queued call",
		refusal(7, "bad_request", "sequence 7 is already in flight (p.add): sequences must not be reused"))
	h.send(`{"sequence":6,"type":"cancel"}` + "\n")
	h.expect("a queued call canceled", refusal(6, "canceled", "call 6 (p.hold) canceled before it started"))
	text.Reset()
	var rest []string
	for seq := uint64(9); seq <= 208; seq++ {
		text.WriteString(call(seq, "add", fmt.Sprintf("[%d,1]", seq)))
		rest = append(rest, reply(seq, fmt.Sprintf("[%d]", seq+1)))
	}
	h.seq = 208
	h.send(text.String())
	h.control("release 4")
	h.expectSet("the calls released first: the four running", holdWants(1, 5)...)
	h.control("release 3")
	rest = append(rest, reply(5, "[]"), reply(7, "[]"), reply(8, "[]"))
	h.expectSet("the queued held calls, and the calls behind them", rest...)
	h.valid("the flood")
	rep := h.finish(ending{})
	checkBound(t, rep, 4, 7+200+1)
}

// TestDefaultInFlightBound is TestInFlightBound at the default bound,
// 1024: 2100 held calls are released 1024, 1024 and 52 at a time.
func TestDefaultInFlightBound(t *testing.T) {
	const bound = engine.DefaultMaxInFlight
	h := startPlugin(t, runOptions{}, true)
	const n = 2*bound + 52
	f := h.flood(1, n+1, func(seq uint64) string { return call(seq, "hold", "[]") })
	h.seq = n
	for from := uint64(1); from <= n; from += bound {
		to := min(from+bound, n+1)
		h.control(fmt.Sprintf("release %d", to-from))
		h.expectSet(fmt.Sprintf("held calls %d to %d", from, to-1), holdWants(from, to)...)
	}
	if err := f.wait(t); err != nil {
		t.Fatalf("writing the calls: %v", err)
	}
	h.valid("the held calls")
	rep := h.finish(ending{})
	checkBound(t, rep, bound, n+1)
}

// checkBound checks that at most bound p.hold calls ran at once, that
// they ran in at most that many goroutines beyond the plugin's own (queued
// calls have none) and that started services ran.
func checkBound(t *testing.T, rep *report, bound int, started int) {
	t.Helper()
	if rep.PeakHold != int64(bound) {
		t.Errorf("%d held calls ran at once, want the bound, %d", rep.PeakHold, bound)
	}
	// Besides the calls: the writer, Serve's reader and the one that takes
	// over while a call runs inline, timers; 16 is ample.
	extra := rep.PeakGoroutines - rep.Baseline - bound
	t.Logf("FIGURE in-flight-bound %d: %d held calls at once, %d goroutines at most (%d before connecting, %d beyond the calls)",
		bound, rep.PeakHold, rep.PeakGoroutines, rep.Baseline, extra)
	if extra > 16 {
		t.Errorf("the plugin had %d goroutines with %d calls running, %d before it connected: %d more than the calls, want at most 16",
			rep.PeakGoroutines, bound, rep.Baseline, extra)
	}
	if rep.Started != int64(started) {
		t.Errorf("the plugin ran %d services, want %d", rep.Started, started)
	}
}

// TestFloodAnswered: 40000 requests of every kind, written as fast as the
// pipe takes them while the host reads: each is answered exactly once,
// with its own answer.
func TestFloodAnswered(t *testing.T) {
	const n = 40000
	h := startPlugin(t, runOptions{}, true)
	kinds := []struct {
		frame  func(seq uint64) string
		answer func(seq uint64) string // "" for none
	}{
		{func(seq uint64) string { return call(seq, "add", fmt.Sprintf("[%d,1]", seq)) },
			func(seq uint64) string { return reply(seq, fmt.Sprintf("[%d]", seq+1)) }},
		{func(seq uint64) string { return call(seq, "nope", "[]") },
			func(seq uint64) string { return refusal(seq, "unknown_service", "p.nope: unknown service") }},
		{func(seq uint64) string {
			return seqd(`{"sequence":%d,"type":"hasNamespace","namespace":"p"}`+"\n", seq)
		},
			func(seq uint64) string { return seqd(`{"sequence":%d,"ok":true}`, seq) }},
		{func(seq uint64) string { return call(seq, "add", "[1,,2]") },
			func(seq uint64) string {
				at := strings.Index(call(seq, "add", "[1,,2]"), ",,") + 1
				return refusal(seq, "bad_request", fmt.Sprintf("invalid request frame: malformed frame at byte %d: ',' where a value must start", at))
			}},
		{func(seq uint64) string { return `]] garbage 42 ` }, func(uint64) string { return "" }},
		{func(seq uint64) string { return fmt.Sprintf(`{"sequence":%d,"type":"cancel"}`+"\n", seq) }, func(uint64) string { return "" }},
	}
	want := map[uint64]string{}
	for seq := uint64(1); seq <= n; seq++ {
		if a := kinds[seq%uint64(len(kinds))].answer(seq); a != "" {
			want[seq] = a
		}
	}
	adds := int64(0)
	for seq := range want {
		if seq%uint64(len(kinds)) == 0 {
			adds++
		}
	}
	f := h.flood(1, n+1, func(seq uint64) string { return kinds[seq%uint64(len(kinds))].frame(seq) })
	h.seq = n
	for i, total := 0, len(want); i < total; i++ {
		r := h.next("response", "the flood's answers")
		w, ok := want[*r.msg.Sequence]
		switch {
		case !ok:
			t.Fatalf("an answer to no request, or a second one: %s", r.raw)
		case r.raw != w:
			t.Fatalf("the plugin answered\n\t%s\nwant\n\t%s", r.raw, w)
		}
		delete(want, *r.msg.Sequence)
	}
	if err := f.wait(t); err != nil {
		t.Fatalf("writing the flood: %v", err)
	}
	h.valid("the flood")
	rep := h.finish(ending{})
	if rep.Started != adds+1 {
		t.Errorf("the plugin ran %d services, want %d", rep.Started, adds+1)
	}
	t.Logf("FIGURE serving-flood: %d requests, plugin peak resident size %d KiB (%d KiB before connecting)", n, rep.MaxRSSKiB, rep.StartRSSKiB)
}

// bigFlood floods the plugin with calls whose results are large: with the
// bound at 4, the plugin stops reading (its writes wait for room, then its
// reading waits for them) after a few dozen calls, long before the host has
// written 32 KiB. It returns once the host has written that much.
func bigFlood(t *testing.T, h *hostile) *flooder {
	t.Helper()
	h.pause()
	f := h.flood(1, 200001, func(seq uint64) string { return call(seq, "big", "[20000]") })
	f.awaitWritten(t, 32<<10)
	return f
}

// TestFloodHostNeverReads: a host that floods a serving plugin and never
// reads its answers stops it (backpressure, see bigFlood); once the host
// closes its ends, the plugin's Serve returns, saying it could not write,
// and the plugin exits.
func TestFloodHostNeverReads(t *testing.T) {
	h := startPlugin(t, runOptions{args: []string{"maxInFlight=4"}}, true)
	f := bigFlood(t, h)
	h.r.Close()
	h.w.Close()
	f.wait(t) // fails: the host closed its end under it
	rep := h.finish(ending{serveErr: "writing responses: ", keepWriting: true, neverRead: true, stray: func(*frame) {}})
	if !strings.HasSuffix(rep.ServeErr, ": broken pipe") {
		t.Errorf("Serve returned %q, want a broken pipe", rep.ServeErr)
	}
	t.Logf("FIGURE flood-never-read: the host wrote %d bytes, then closed; plugin peak resident size %d KiB (%d KiB before connecting)",
		f.written.Load(), rep.MaxRSSKiB, rep.StartRSSKiB)
}

// TestHostStopsReadingKeepsStreamOpen: a host that floods a serving plugin,
// closes its own stream and never reads: the plugin cannot deliver its
// answers, so its Serve returns only when its context ends (here a
// deadline), within the drain timeout after that.
func TestHostStopsReadingKeepsStreamOpen(t *testing.T) {
	h := startPlugin(t, runOptions{args: []string{"maxInFlight=4", "serveTimeout=3s", "drain=500ms"}}, true)
	f := bigFlood(t, h)
	h.w.Close()
	f.wait(t)
	h.finish(ending{serveErr: "context deadline exceeded", keepWriting: true, neverRead: true, stray: func(*frame) {}})
}

// TestFloodPluginThatDoesNotServe: a host that floods a plugin that does
// not serve and reads nothing meanwhile does not stop the plugin's
// reading (its own call's answer is read after the flood) nor grow its
// memory: the refusals that do not fit the writer's queue
// (wire.DefaultQueueLimit) are dropped, so that those delivered once the
// host reads again are about that much, not the 5.7 MB of all of them.
// Those that come are exact and in order.
func TestFloodPluginThatDoesNotServe(t *testing.T) {
	const n = 60000
	h := startPlugin(t, runOptions{args: []string{"mode=" + modeNoServe}}, false)
	h.expectRequest("the plugin's call", `{"sequence":2,"type":"call","namespace":"h","name":"wait","args":[]}`)
	h.pause()
	f := h.flood(1, n+1, func(seq uint64) string { return call(seq, "add", "[1,2]") })
	if err := f.wait(t); err != nil {
		t.Fatalf("writing the flood: %v", err)
	}
	h.seq = n
	h.resume()
	// A request after the flood is refused too, but its refusal is dropped
	// like the flood's while the writer's queue is full: the host asks
	// again, each second, until one is answered as the queue drains.
	asked := map[uint64]bool{}
	ask := func() {
		seq := h.nextSeq()
		asked[seq] = true
		h.send(fmt.Sprintf(`{"sequence":%d,"type":"hasNamespace","namespace":"p"}`+"\n", seq))
	}
	ask()
	answered, size, prev := 0, 0, uint64(0)
	for start := time.Now(); ; {
		r := h.nextWithin("response", "the refusals of the flood", time.Second)
		if r == nil {
			if time.Since(start) > watchdog {
				t.Fatalf("the refusals of the flood: no answer to %d requests after it within %v: hung", len(asked), watchdog)
			}
			ask()
			continue
		}
		seq := *r.msg.Sequence
		if asked[seq] {
			if want := notServing(seq, "hasNamespace"); r.raw != want {
				t.Errorf("the request after the flood: answered\n\t%s\nwant\n\t%s", r.raw, want)
			}
			// Those asked after it come now, the queue having room.
			for later := seq + 1; later <= h.seq; later++ {
				h.expect("a request after the flood", notServing(later, "hasNamespace"))
			}
			break
		}
		if seq <= prev || seq > n || r.raw != notServing(seq, "call") {
			t.Fatalf("after refusal %d, the plugin answered %s", prev, r.raw)
		}
		prev = seq
		answered++
		size += len(r.raw) + 1
	}
	h.send(`{"sequence":2,"reply":[]}` + "\n")
	rep := h.finish(ending{noServe: true})
	if rep.CallErr != "" {
		t.Errorf("the plugin's own call failed: %s", rep.CallErr)
	}
	t.Logf("FIGURE no-serve-flood: %d requests unread, %d refusals delivered (%d bytes), plugin peak resident size %d KiB (%d KiB before connecting)",
		n, answered, size, rep.MaxRSSKiB, rep.StartRSSKiB)
	// What the plugin held for the host: its writer's queue, plus the
	// pipe's and the host reader's buffers (64 KiB each), with room to
	// spare.
	if limit := wire.DefaultQueueLimit + 1<<20; answered == 0 || size > limit {
		t.Errorf("%d refusals (%d bytes) delivered after the host read nothing while it flooded: want some, at most %d bytes (the writer's queue and the buffers)",
			answered, size, limit)
	}
}

// TestFloodWhilePluginWaitsForHost: while the plugin waits for the host's
// answer to a call of its own, it never stops reading (a re-entrant call
// could deadlock), so the host's calls past the bound are queued, unbounded
// by count or bytes, for as long as that call lasts (SECURITY.md). They
// still run at most MaxInFlight at once, and all are answered, each its
// own, once the plugin's call is answered.
func TestFloodWhilePluginWaitsForHost(t *testing.T) {
	const n = 10000
	h := startPlugin(t, runOptions{args: []string{"maxInFlight=4"}}, true)
	h.send(call(1, "callback", "[1,0]"))
	h.expectRequest("the plugin's call to the host", `{"sequence":3,"type":"call","namespace":"h","name":"add","args":[1,1]}`)
	h.send(call(2, "hold", "[]"), call(3, "hold", "[]"), call(4, "hold", "[]"))
	var wants []string
	f := h.flood(5, n+5, func(seq uint64) string { return call(seq, "add", fmt.Sprintf("[%d,1]", seq)) })
	for seq := uint64(5); seq < n+5; seq++ {
		wants = append(wants, reply(seq, fmt.Sprintf("[%d]", seq+1)))
	}
	h.seq = n + 4
	if err := f.wait(t); err != nil { // the plugin read it all: it queued every call
		t.Fatalf("writing the flood: %v", err)
	}
	h.send(`{"sequence":3,"reply":[2]}` + "\n")
	h.expect("the host's call whose callback was answered", reply(1, "[2]"))
	h.expectSet("the calls queued while the plugin waited", wants...)
	h.control("release 3")
	h.expectSet("the held calls", holdWants(2, 5)...)
	h.valid("the flood")
	rep := h.finish(ending{})
	if rep.PeakHold != 3 {
		t.Errorf("%d held calls ran at once, want 3 (the callback held the fourth slot)", rep.PeakHold)
	}
	t.Logf("FIGURE flood-while-waiting: %d calls queued past the bound of 4 while the plugin waited for the host: peak resident size %d KiB (+%d KiB)",
		n, rep.MaxRSSKiB, rep.MaxRSSKiB-rep.StartRSSKiB)
}
