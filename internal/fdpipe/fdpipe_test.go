//go:build linux

package fdpipe

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// watchdog is how long a wait that must end may take before the test
// calls it hung: a liveness bound, far above any real wait.
const watchdog = 10 * time.Second

// pipe returns the two ends of a fresh pipe, adopted.
func pipe(t *testing.T) (*File, *File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, ok := Adopt(r).(*File)
	if !ok {
		t.Fatal("Adopt did not take the read end of os.Pipe")
	}
	pw, ok := Adopt(w).(*File)
	if !ok {
		t.Fatal("Adopt did not take the write end of os.Pipe")
	}
	t.Cleanup(func() {
		pr.Close()
		pw.Close()
	})
	return pr, pw
}

// epollFDs returns the descriptors that the process's epoll sets watch,
// from /proc/self/fdinfo.
func epollFDs(t *testing.T) map[int]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	watched := map[int]bool{}
	for _, e := range ents {
		if link, _ := os.Readlink("/proc/self/fd/" + e.Name()); link != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		for _, line := range strings.Split(string(info), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "tfd:" {
				n, _ := strconv.Atoi(f[1])
				watched[n] = true
			}
		}
	}
	return watched
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestAdoptTakesTheDescriptorOutOfTheNetpoller(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	old := int(r.Fd()) // Fd makes r blocking: take it back for Adopt
	if err := unix.SetNonblock(old, true); err != nil {
		t.Fatal(err)
	}
	if !epollFDs(t)[old] {
		t.Fatalf("os.Pipe's read end %d is not in the runtime's epoll set: the test cannot see what Adopt changes", old)
	}
	a := Adopt(r)
	pf, ok := a.(*File)
	if !ok {
		t.Fatalf("Adopt returned %T, want *File", a)
	}
	defer pf.Close()
	if watched := epollFDs(t); watched[pf.fd] || watched[old] {
		t.Errorf("after Adopt, epoll watches %v; the File's descriptor is %d (was %d)", watched, pf.fd, old)
	}
	if _, err := r.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("the adopted *os.File is not closed: Stat = %v, want os.ErrClosed", err)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if n, err := pf.Read(b[:]); n != 1 || err != nil || b[0] != 'x' {
		t.Errorf("Read = %d, %v, %q; want 1, nil, x", n, err, b[:n])
	}
}

func TestAdoptLeavesBlockingDescriptors(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r := os.NewFile(uintptr(p[0]), "blocking-r")
	w := os.NewFile(uintptr(p[1]), "blocking-w")
	defer r.Close()
	defer w.Close()
	if got := Adopt(r); got != io.ReadWriteCloser(r) {
		t.Errorf("Adopt of a blocking descriptor returned %T, want the file itself", got)
	}
	// A regular file is never in non-blocking mode either.
	f, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := Adopt(f); got != io.ReadWriteCloser(f) {
		t.Errorf("Adopt of a regular file returned %T, want the file itself", got)
	}
	// A closed file stays as it is, and says so.
	r2, w2, _ := os.Pipe()
	w2.Close()
	r2.Close()
	if got := Adopt(r2); got != io.ReadWriteCloser(r2) {
		t.Errorf("Adopt of a closed file returned %T, want the file itself", got)
	}
}

func TestReadWriteMoreThanThePipeHolds(t *testing.T) {
	r, w := pipe(t)
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: the writer waits for room
	errc := make(chan error, 1)
	go func() {
		n, err := w.Write(want)
		if err == nil && n != len(want) {
			err = io.ErrShortWrite
		}
		errc <- err
		w.Close()
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(want))
	}
	// The writer's end is closed: the reader sees the end of the stream
	// again, without waiting.
	if n, err := r.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Read after the end = %d, %v; want 0, EOF", n, err)
	}
}

func TestWriteToAClosedReaderFails(t *testing.T) {
	r, w := pipe(t)
	r.Close()
	_, err := w.Write([]byte("hello"))
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Write with no reader: %v, want EPIPE", err)
	}
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "write" {
		t.Errorf("error %v is not a *os.PathError of write", err)
	}
}

// waitErr waits for one error from errc, failing the test if none comes
// within the watchdog.
func waitErr(t *testing.T, errc <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(watchdog):
		t.Fatalf("%s did not return within %v", what, watchdog)
		return nil
	}
}

func TestDeadlineEndsAWaitThenReadsGoOn(t *testing.T) {
	r, w := pipe(t)
	for round := range 3 {
		errc := make(chan error, 1)
		go func() {
			_, err := r.Read(make([]byte, 8))
			errc <- err
		}()
		time.Sleep(time.Millisecond) // most rounds: the reader waits already
		if err := r.SetReadDeadline(time.Unix(1, 0)); err != nil {
			t.Fatal(err)
		}
		if err := waitErr(t, errc, "a read past its deadline"); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: Read = %v, want os.ErrDeadlineExceeded", round, err)
		}
		// A deadline in the past fails reads even with input there.
		w.Write([]byte("x"))
		if _, err := r.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: Read past the deadline with input = %v, want os.ErrDeadlineExceeded", round, err)
		}
		r.SetReadDeadline(time.Time{})
		var b [8]byte
		if n, err := r.Read(b[:]); n != 1 || err != nil {
			t.Fatalf("round %d: Read after clearing the deadline = %d, %v", round, n, err)
		}
	}
}

func TestFutureDeadline(t *testing.T) {
	r, _ := pipe(t)
	d := time.Now().Add(30 * time.Millisecond)
	r.SetReadDeadline(d)
	_, err := r.Read(make([]byte, 8))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v, want os.ErrDeadlineExceeded", err)
	}
	if now := time.Now(); now.Before(d) {
		t.Errorf("the read ended %v before its deadline", d.Sub(now))
	}
	// A deadline moved later while a read waits is the one it keeps.
	r.SetReadDeadline(time.Now().Add(time.Hour))
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 8))
		errc <- err
	}()
	d = time.Now().Add(20 * time.Millisecond)
	r.SetReadDeadline(d)
	if err := waitErr(t, errc, "a read whose deadline was brought forward"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v, want os.ErrDeadlineExceeded", err)
	}
	if now := time.Now(); now.Before(d) {
		t.Errorf("the read ended %v before its deadline", d.Sub(now))
	}
}

func TestWriteDeadlineOnAFullPipe(t *testing.T) {
	_, w := pipe(t)
	errc := make(chan error, 1)
	go func() {
		_, err := w.Write(make([]byte, 8<<20)) // more than any pipe holds
		errc <- err
	}()
	time.Sleep(time.Millisecond)
	w.SetWriteDeadline(time.Unix(1, 0))
	if err := waitErr(t, errc, "a write past its deadline"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write = %v, want os.ErrDeadlineExceeded", err)
	}
}

func TestCloseEndsWaitsAndFreesDescriptors(t *testing.T) {
	before := openFDs(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr := Adopt(r).(*File)
	pw := Adopt(w).(*File)
	// The other ends, for a reader that waits for input and a writer that
	// waits for room.
	r2, w2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr2 := Adopt(r2).(*File)
	pw2 := Adopt(w2).(*File)

	errc := make(chan error, 2)
	go func() {
		_, err := pr.Read(make([]byte, 8)) // nobody writes
		errc <- err
	}()
	go func() {
		_, err := pw2.Write(make([]byte, 8<<20)) // nobody reads
		errc <- err
	}()
	time.Sleep(time.Millisecond)
	closed := make(chan error, 2)
	go func() { closed <- pr.Close() }()
	go func() { closed <- pw2.Close() }()
	for range 2 {
		if err := waitErr(t, errc, "a wait on a closed File"); !errors.Is(err, os.ErrClosed) {
			t.Errorf("wait ended with %v, want os.ErrClosed", err)
		}
		if err := waitErr(t, closed, "Close"); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if err := pr.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want os.ErrClosed", err)
	}
	if _, err := pr.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close = %v, want os.ErrClosed", err)
	}
	if err := pr.SetReadDeadline(time.Now()); !errors.Is(err, os.ErrClosed) {
		t.Errorf("SetReadDeadline after Close = %v, want os.ErrClosed", err)
	}
	if _, err := pr.SyscallConn(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	pr2.Close()
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after closing everything, %d before", after, before)
	}
}

func TestDroppedFileIsClosedByTheCollector(t *testing.T) {
	before := openFDs(t)
	func() {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		Adopt(r) // dropped without Close
	}()
	deadline := time.Now().Add(watchdog)
	for openFDs(t) != before {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors open %v after dropping the File, %d before", openFDs(t), watchdog, before)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func TestRawConnWaitsBetweenTries(t *testing.T) {
	r, w := pipe(t)
	rc, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 16)
	done := make(chan error, 1)
	go func() {
		done <- rc.Read(func(fd uintptr) bool {
			n, err := unix.Read(int(fd), buf)
			if err == unix.EAGAIN {
				return false // wait for input
			}
			got = append(got, buf[:max(n, 0)]...)
			return true
		})
	}()
	time.Sleep(time.Millisecond)
	w.Write([]byte("raw"))
	if err := waitErr(t, done, "RawConn.Read"); err != nil || string(got) != "raw" {
		t.Fatalf("RawConn.Read = %v, read %q; want nil, raw", err, got)
	}
	// Control sees the descriptor, in non-blocking mode.
	var flags int
	rc.Control(func(fd uintptr) { flags, _ = unix.FcntlInt(fd, unix.F_GETFL, 0) })
	if flags&unix.O_NONBLOCK == 0 {
		t.Errorf("the File's descriptor is blocking (flags %#x)", flags)
	}
	// A raw read that waits ends with the deadline.
	r.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
	err = rc.Read(func(uintptr) bool { return false })
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("RawConn.Read past the deadline = %v", err)
	}
}

// After reads that found the pipe empty, Read waits before it reads
// (see emptyStreak): input, deadlines and Close reach it as before, and
// input that is there already is read at once.
func TestReadAfterEmptyStreaks(t *testing.T) {
	r, w := pipe(t)
	var b [64]byte
	for i := range 3 * emptyResample {
		errc := make(chan error, 1)
		go func() {
			n, err := r.Read(b[:])
			if err == nil && (n != 1 || b[0] != byte(i)) {
				err = errors.New("read " + strconv.Quote(string(b[:n])) + ", want byte " + strconv.Itoa(i))
			}
			errc <- err
		}()
		time.Sleep(100 * time.Microsecond) // most rounds: the reader waits
		w.Write([]byte{byte(i)})
		if err := waitErr(t, errc, "a read after an empty streak"); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	// Input already there: read in any mode, in order.
	w.Write([]byte("abc"))
	if n, err := io.ReadFull(r, b[:3]); n != 3 || err != nil || string(b[:3]) != "abc" {
		t.Fatalf("ReadFull = %d, %v, %q", n, err, b[:n])
	}
	// A deadline ends a read that waits first.
	r.rd.empty = emptyStreak
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(b[:])
		errc <- err
	}()
	time.Sleep(time.Millisecond)
	r.SetReadDeadline(time.Unix(1, 0))
	if err := waitErr(t, errc, "a read waiting first, past its deadline"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v, want os.ErrDeadlineExceeded", err)
	}
	r.SetReadDeadline(time.Time{})
	// Close ends it too.
	r.rd.empty = emptyStreak
	go func() {
		_, err := r.Read(b[:])
		errc <- err
	}()
	time.Sleep(time.Millisecond)
	r.Close()
	if err := waitErr(t, errc, "a read waiting first, on Close"); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read = %v, want os.ErrClosed", err)
	}
}

// Past MaxLive open Files, Adopt leaves files to the netpoller, so that
// waiting threads stay far below the runtime's limit; closing a File, or
// dropping it, makes room again.
func TestAdoptStopsAtMaxLive(t *testing.T) {
	defer func(n int64) { MaxLive = n }(MaxLive)
	MaxLive = openFiles.Load() + 2
	var files []io.Closer
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	adopt := func() Conn {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		c := Adopt(r)
		files = append(files, c)
		return c
	}
	a, b := adopt(), adopt()
	if !Is(a) || !Is(b) {
		t.Fatalf("the first two files under MaxLive: %T, %T; want *File", a, b)
	}
	if c := adopt(); Is(c) {
		t.Fatal("Adopt made a File past MaxLive")
	}
	a.Close()
	if c := adopt(); !Is(c) {
		t.Fatalf("after a Close, Adopt returned %T, want *File", c)
	}
	// A File dropped without Close gives its place back once collected.
	func() {
		r, w, _ := os.Pipe()
		w.Close()
		files[1].Close()
		files[1] = io.NopCloser(nil)
		if c := Adopt(r); !Is(c) {
			t.Fatalf("Adopt returned %T, want *File", c)
		}
	}()
	deadline := time.Now().Add(watchdog)
	for openFiles.Load() >= MaxLive {
		if time.Now().After(deadline) {
			t.Fatalf("a dropped File still counts as open after %v", watchdog)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

// A deadline far in the future is no deadline in practice, as for
// *os.File: it must not overflow into the past.
func TestFarFutureDeadline(t *testing.T) {
	r, w := pipe(t)
	for _, d := range []time.Time{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().Add(1<<62 - 1)} {
		if err := r.SetReadDeadline(d); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			var b [1]byte
			_, err := r.Read(b[:])
			errc <- err
		}()
		time.Sleep(time.Millisecond)
		w.Write([]byte("x"))
		if err := waitErr(t, errc, "a read with a far deadline"); err != nil {
			t.Fatalf("deadline %v: Read = %v, want the byte", d, err)
		}
	}
}

// A zero-length Read returns at once, as *os.File's does: with input or
// without, past its deadline, after an empty streak.
func TestZeroLengthRead(t *testing.T) {
	r, _ := pipe(t)
	errc := make(chan error, 1)
	for _, past := range []bool{false, true} {
		r.rd.empty = emptyStreak
		if past {
			r.SetReadDeadline(time.Unix(1, 0))
		}
		go func() {
			n, err := r.Read(nil)
			if n != 0 {
				err = errors.New("read " + strconv.Itoa(n) + " bytes into nothing")
			}
			errc <- err
		}()
		if err := waitErr(t, errc, "a zero-length read"); err != nil {
			t.Errorf("past deadline %v: Read(nil) = %v, want 0, nil", past, err)
		}
	}
}

// With a standard stream's number free, Adopt's descriptors still take
// numbers from 3 up: a later open of that stream's number finds it free.
func TestAdoptLeavesStandardNumbersFree(t *testing.T) {
	saved, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		unix.Dup2(saved, 0)
		unix.Close(saved)
	}()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	unix.Close(0) // the lowest number free: the next descriptor made takes it
	pf, ok := Adopt(r).(*File)
	if !ok {
		t.Fatal("Adopt did not take the pipe")
	}
	defer pf.Close()
	for _, fd := range pf.own.fds {
		if fd < 3 {
			t.Errorf("the File holds descriptor %d (all: %v)", fd, pf.own.fds)
		}
	}
}

// A read that spins (see readWaiting) reads what comes during the spin
// and after it, and sees the end of the stream, Close and deadlines.
func TestReadWhileSpinning(t *testing.T) {
	if spinFor == 0 {
		t.Skip("no spinning on a machine of one core (runtime.NumCPU() < 2)")
	}
	spinning := func(f *File) {
		f.rd.empty = emptyStreak
		f.rd.quick = quickWaits
		f.rd.spinSkip = 0
		f.rd.lastN = 1
	}
	r, w := pipe(t)
	var b [8]byte
	for _, delay := range []time.Duration{0, 10 * time.Microsecond, 2 * time.Duration(spinFor), time.Millisecond} {
		spinning(r)
		errc := make(chan error, 1)
		go func() {
			n, err := r.Read(b[:])
			if err == nil && string(b[:n]) != "z" {
				err = errors.New("read " + strconv.Quote(string(b[:n])))
			}
			errc <- err
		}()
		time.Sleep(delay)
		w.Write([]byte("z"))
		if err := waitErr(t, errc, "a spinning read"); err != nil {
			t.Fatalf("input after %v: %v", delay, err)
		}
	}
	// A deadline, then Close, end a spinning read; so does the end.
	for _, end := range []string{"deadline", "eof"} {
		spinning(r)
		errc := make(chan error, 1)
		go func() {
			_, err := r.Read(b[:])
			errc <- err
		}()
		time.Sleep(5 * time.Microsecond)
		switch end {
		case "deadline":
			r.SetReadDeadline(time.Unix(1, 0))
			if err := waitErr(t, errc, "a spinning read past its deadline"); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Read = %v, want os.ErrDeadlineExceeded", err)
			}
			r.SetReadDeadline(time.Time{})
		case "eof":
			w.Close()
			if err := waitErr(t, errc, "a spinning read at the end"); err != io.EOF {
				t.Fatalf("Read = %v, want io.EOF", err)
			}
		}
	}
	r2, w2 := pipe(t)
	defer w2.Close()
	spinning(r2)
	errc := make(chan error, 1)
	go func() {
		_, err := r2.Read(b[:])
		errc <- err
	}()
	time.Sleep(5 * time.Microsecond)
	r2.Close()
	if err := waitErr(t, errc, "a spinning read on Close"); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read = %v, want os.ErrClosed", err)
	}
}

// SetDeadline sets both directions' deadlines.
func TestSetDeadlineSetsBoth(t *testing.T) {
	r, w := pipe(t)
	for _, f := range []*File{r, w} {
		if err := f.SetDeadline(time.Unix(1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read = %v, want os.ErrDeadlineExceeded", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write = %v, want os.ErrDeadlineExceeded", err)
	}
	for _, f := range []*File{r, w} {
		f.SetDeadline(time.Time{})
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Errorf("Write after clearing: %v", err)
	}
	if n, err := r.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("Read after clearing = %d, %v", n, err)
	}
}

// The rule that decides spinning, as the docs state it: only after
// quickWaits short waits in a row, the last of a small read; never after
// a long wait or a large read; not for spinSkips reads after a spin in
// vain; never on a machine of one core.
func TestSpinRule(t *testing.T) {
	if spinBudget(1) != 0 || spinBudget(2) <= 0 {
		t.Fatalf("spinBudget(1) = %d, spinBudget(2) = %d: want no spin on one core only", spinBudget(1), spinBudget(2))
	}
	if spinFor == 0 {
		t.Skip("no spinning on a machine of one core (runtime.NumCPU() < 2): the rest needs a budget")
	}
	short, long := spinFor/2, spinFor*2
	var h half
	if h.spins() {
		t.Fatal("a fresh File spins before any short wait")
	}
	h.waited(short, 1, false)
	if h.spins() {
		t.Fatal("spins after one short wait")
	}
	h.waited(short, 1, false)
	if !h.spins() {
		t.Fatal("does not spin after two short waits of small reads")
	}
	h.waited(short, spinBytes+1, false)
	if h.spins() {
		t.Fatal("spins after a large read")
	}
	h.waited(short, 1, false)
	if !h.spins() {
		t.Fatal("does not spin again after a small read")
	}
	h.waited(long, 1, false)
	if h.spins() {
		t.Fatal("spins after a long wait")
	}
	h.waited(short, 1, false)
	h.waited(short, 1, true) // a spin in vain
	for i := range spinSkips {
		if h.spins() {
			t.Fatalf("spins %d reads after a spin in vain", i)
		}
		h.waited(short, 1, false)
	}
	if !h.spins() {
		t.Fatalf("does not spin %d reads after a spin in vain", spinSkips)
	}
}
