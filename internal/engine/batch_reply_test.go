package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/registry"
)

// incCall is a request frame for calc.inc(n).
func incCall(seq, n int) string {
	return fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"calc","name":"inc","args":[%d]}`+"\n", seq, n)
}

// readReplies reads n replies within a watchdog's time and checks that
// each is calc.inc's answer to the request of the same sequence.
func readReplies(t testing.TB, pr *os.File, r *bufio.Reader, n int, what string) {
	t.Helper()
	pr.SetReadDeadline(time.Now().Add(10 * time.Second)) // a watchdog
	defer pr.SetReadDeadline(time.Time{})
	for range n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var seq, v int
		if _, err := fmt.Sscanf(line, `{"sequence":%d,"reply":[%d]}`, &seq, &v); err != nil || v != seq+1 {
			t.Fatalf("%s: reply %q", what, line)
		}
	}
}

// writeSyscalls is how many write system calls this process has made.
func writeSyscalls(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no syscw in /proc/self/io: %q", b)
	return 0
}

// warmInc makes calc.inc known as quick: its calls then run inline even
// with more requests buffered behind them (see quick). The first of a
// pair, not known yet, runs on a goroutine of its own.
func warmInc(t testing.TB, w, pr *os.File, r *bufio.Reader) {
	t.Helper()
	for seq := 1; seq <= 6; seq += 2 {
		w.WriteString(incCall(seq, seq) + incCall(seq+1, seq+1))
		readReplies(t, pr, r, 2, "warm-up")
	}
}

// The replies to requests read together go out together: the reader
// holds each one back while more requests are buffered behind it, and
// writes them all before it reads again. Between processes a write per
// reply would cost a system call and a wakeup of the peer each.
func TestRepliesToABatchGoOutTogether(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("counting write system calls needs /proc/self/io:", err)
	}
	_, w, pr := rawPeer(t, incRegistry(), Config{})
	r := bufio.NewReader(pr)
	warmInc(t, w, pr, r)
	const n = 40 // 40 frames fit in one atomic write to a pipe
	var batch bytes.Buffer
	seq := 100
	best := n
	// A reader preempted for maxHold writes what it holds: try a few
	// times, as a busy machine may preempt it.
	for try := 0; try < 5 && best > n/4; try++ {
		batch.Reset()
		for range n {
			seq++
			batch.WriteString(incCall(seq, seq))
		}
		if batch.Len() > 4096 {
			t.Fatalf("the batch has %d bytes, more than a pipe writes at once", batch.Len())
		}
		before := writeSyscalls(t)
		if _, err := w.Write(batch.Bytes()); err != nil {
			t.Fatal(err)
		}
		readReplies(t, pr, r, n, "batch")
		best = min(best, writeSyscalls(t)-before-1)
	}
	if best > n/4 {
		t.Errorf("the replies to %d requests written at once took %d writes, want at most %d", n, best, n/4)
	}
}

// A reply held back while more is buffered goes out before the reader
// waits for the rest of a frame: with no watchdog to write it, the peer
// would otherwise never see it.
func TestHeldRepliesDoNotWaitForInput(t *testing.T) {
	noWatchdog(t)
	_, w, pr := rawPeer(t, incRegistry(), Config{})
	r := bufio.NewReader(pr)
	warmInc(t, w, pr, r)
	last := incCall(12, 12)
	w.WriteString(incCall(10, 10) + incCall(11, 11) + last[:20])
	readReplies(t, pr, r, 2, "the replies before a partial frame")
	w.WriteString(last[20:])
	readReplies(t, pr, r, 1, "the reply to the completed frame")
}

// A reply held back goes out before the reader waits for a slot for the
// next call: the peer may wait for it before it lets the running calls
// end.
func TestHeldRepliesDoNotWaitForRoom(t *testing.T) {
	noWatchdog(t)
	release := make(chan struct{})
	reg, _ := holdService(release)
	reg.AddService("calc", "inc", func(n int) int { return n + 1 })
	_, w, pr := rawPeer(t, reg, Config{MaxInFlight: 1})
	r := bufio.NewReader(pr)
	warmInc(t, w, pr, r)
	hold := func(seq int) string {
		return fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"mem","name":"hold","args":["x"]}`+"\n", seq)
	}
	// inc runs inline and is held; the first hold runs, the second waits
	// in the queue, and the third makes the reader wait for room.
	w.WriteString(incCall(10, 10) + hold(11) + hold(12) + hold(13))
	readReplies(t, pr, r, 1, "the reply before calls that wait for room")
	close(release)
	pr.SetReadDeadline(time.Now().Add(10 * time.Second)) // a watchdog
	for range 3 {
		if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, `"reply":[1]`) {
			t.Fatalf("hold's reply %q, %v", line, err)
		}
	}
}

// BenchmarkServeBatch measures a serving connection answering batches of
// requests that arrive together, as from many callers of a peer (c64 in
// the bench module), over OS pipes: ns per call and write system calls
// per call (writes/call; the benchmark's own write of each batch counted
// out), with the replies of a batch held back and written together
// (hold=on) and, the baseline, each written at once (hold=off).
func BenchmarkServeBatch(b *testing.B) {
	for _, n := range []int{1, 8, 40} {
		for _, hold := range []bool{false, true} {
			b.Run(fmt.Sprintf("batch=%d/hold=%v", n, map[bool]string{false: "off", true: "on"}[hold]), func(b *testing.B) {
				defer func(h bool) { holdReplies = h }(holdReplies)
				holdReplies = hold
				benchBatch(b, n)
			})
		}
	}
}

func benchBatch(b *testing.B, n int) {
	_, w, pr := rawPeer(b, incRegistry(), Config{})
	r := bufio.NewReader(pr)
	warmInc(b, w, pr, r)
	pr.SetReadDeadline(time.Now().Add(time.Minute)) // a watchdog
	var batch bytes.Buffer
	seq := 100
	b.ReportAllocs()
	b.ResetTimer()
	before := writeSyscalls(b)
	for i := 0; i < b.N; i += n {
		batch.Reset()
		for range n {
			seq++
			batch.WriteString(incCall(seq, seq))
		}
		if _, err := w.Write(batch.Bytes()); err != nil {
			b.Fatal(err)
		}
		for range n {
			line, err := r.ReadSlice('\n')
			if err != nil || !bytes.HasPrefix(line, []byte(`{"sequence":`)) || bytes.Contains(line, []byte(`"error"`)) {
				b.Fatalf("reply %q, %v", line, err)
			}
		}
	}
	b.StopTimer()
	batches := (b.N + n - 1) / n
	b.ReportMetric(float64(writeSyscalls(b)-before-batches)/float64(batches*n), "writes/call")
}

// A peer that sends quick calls and never reads their replies stops this
// end's reader once the writer's queue is full, held replies or not: the
// peer's writes then block, and memory stays bounded.
func TestHeldRepliesKeepBackpressure(t *testing.T) {
	reg := registry.New()
	reply := strings.Repeat("r", 2000)
	reg.AddService("calc", "big", func(n int) string { return reply })
	_, w, pr := rawPeer(t, reg, Config{})
	defer pr.Close() // before rawPeer's cleanup: the writer must see the end
	frame := func(seq int) string {
		return fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"calc","name":"big","args":[%d]}`+"\n", seq, seq)
	}
	// Make calc.big quick, so that its calls run inline and hold replies.
	r := bufio.NewReader(pr)
	pr.SetReadDeadline(time.Now().Add(10 * time.Second)) // a watchdog
	for seq := 1; seq <= 6; seq += 2 {
		w.WriteString(frame(seq) + frame(seq+1))
		for range 2 {
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Flood, never reading, until the writes block for a second. With
	// backpressure that is after the pipes, the reader's buffer and the
	// calls whose replies fill the writer's queue (wire.DefaultQueueLimit,
	// 1 MiB: about 500 calls here), some 200 KB of calls in all; without,
	// the replies to each MB of calls (25 MB) queue. The writes cut the
	// frames anywhere, so that the reader seldom finds nothing more
	// buffered behind a call: each reply may be held.
	const most = 1 << 20
	var stream []byte
	written, seq := 0, 100
	for written < most {
		for len(stream) < 4000 {
			seq++
			stream = append(stream, frame(seq)...)
		}
		w.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := w.Write(stream[:4000])
		stream = append(stream[:0], stream[n:]...)
		written += n
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if written >= most {
		t.Fatalf("the peer wrote %d bytes of calls without reading a reply and was never stopped", written)
	}
	t.Logf("stopped after %d bytes of calls", written)
}
