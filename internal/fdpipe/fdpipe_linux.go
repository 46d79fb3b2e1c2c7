//go:build linux

package fdpipe

import (
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// File is a pipe, FIFO or socket descriptor in non-blocking mode that the
// runtime's netpoller does not watch: a read or write that would block
// waits in ppoll(2) on its own thread, for the descriptor and for an
// eventfd through which deadlines and Close end the wait.
//
// Its methods are those of *os.File that a connection uses, with the same
// errors: io.EOF, *os.PathError wrapping os.ErrDeadlineExceeded,
// os.ErrClosed or the system's error. Any number of goroutines may use it;
// reads wait one at a time, as do writes.
type File struct {
	fd   int
	name string

	// live counts the operations in progress as readers of a RWMutex:
	// Close takes it for writing once it has woken them all.
	live   sync.RWMutex
	closed atomic.Bool

	rd, wr half

	// own is what the File holds, closed by Close or, for a File dropped
	// without Close, by a cleanup (os.File does the same).
	own *descriptors
}

type descriptors struct {
	fds    [3]int // the pipe, then the eventfds
	closed bool
}

// close closes the descriptors, once, and reports the pipe's close error.
func (d *descriptors) close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	openFiles.Add(-1)
	err := unix.Close(d.fds[0])
	unix.Close(d.fds[1])
	unix.Close(d.fds[2])
	return err
}

// half is one direction's wait: its deadline and the eventfd that ends a
// wait when the deadline changes or the file closes.
type half struct {
	mu       sync.Mutex // one wait at a time in this direction
	deadline atomic.Int64
	efd      int
	fds      [2]unix.PollFd // the wait's, kept here so it allocates nothing
	drain    [8]byte

	// empty counts the reads in a row that found nothing to read at
	// first (or did not look, see Read).
	empty uint

	// What decides whether a read that finds nothing spins (see
	// readWaiting).
	quick    int // waits in a row shorter than spinFor, up to quickWaits
	lastN    int // what the last read that waited read
	spinSkip int // reads that do not spin, after a spin in vain
}

// spins reports whether a read that found nothing spins first: after
// quickWaits short waits in a row, the last of a small read, and not
// right after a spin in vain (which it counts down).
func (h *half) spins() bool {
	if h.spinSkip > 0 {
		h.spinSkip--
		return false
	}
	return h.quick >= quickWaits && h.lastN <= spinBytes
}

// waited records a read that waited took long and read n bytes; vain
// reports a spin that ended without input.
func (h *half) waited(took int64, n int, vain bool) {
	if vain {
		h.spinSkip = spinSkips
	}
	h.lastN = n
	if took < spinFor {
		h.quick = min(h.quick+1, quickWaits)
	} else {
		h.quick = 0
	}
}

// spinFor is the longest a read spins before it sleeps in ppoll (see
// readWaiting); no spin on a machine of one core (zero: no wait is
// shorter), where it would only hold the core the peer needs to answer.
var spinFor = spinBudget(runtime.NumCPU())

func spinBudget(cpus int) int64 {
	if cpus < 2 {
		return 0
	}
	return int64(50 * time.Microsecond)
}

// Spinning (see readWaiting): after quickWaits short waits in a row, of
// reads of at most spinBytes; not for spinSkips reads after a spin in
// vain.
const (
	spinSkips  = 8
	quickWaits = 2
	spinBytes  = 1024
)

// Past emptyStreak reads in a row that found the pipe empty, Read waits
// before it reads, sparing the read that would find nothing (a small
// call's reply is never there yet when its caller reads); one read in
// every emptyResample looks first again, to see whether input now
// waits for the reader (a stream, many callers).
const (
	emptyStreak   = 2
	emptyResample = 16
)

// openFiles counts the Files open (and those Adopt is making), for MaxLive.
var openFiles atomic.Int64

// Adopt returns a File for f's descriptor and closes f, which the runtime
// watched: from then on only the File reads and writes the descriptor.
// It returns f itself, untouched, when f is not in non-blocking mode (a
// descriptor shared with other processes, such as a standard stream, or a
// regular file), is closed already, when MaxLive Files are open, or when
// the File cannot be made (no descriptor left for its eventfds).
func Adopt(f *os.File) Conn {
	if openFiles.Add(1) > MaxLive {
		openFiles.Add(-1)
		return f
	}
	nfd := dupNonblocking(f)
	var pf *File
	if nfd >= 0 {
		pf = newFile(nfd, f.Name())
	}
	if pf == nil {
		openFiles.Add(-1)
		return f
	}
	// Closing f takes its descriptor out of the runtime's epoll set; the
	// duplicate keeps the open file itself. Close only fails on a closed
	// file, which dupNonblocking has ruled out.
	f.Close()
	return pf
}

// dupNonblocking returns a duplicate of f's descriptor, numbered 3 or
// more and close-on-exec, when f is open and in non-blocking mode; -1
// otherwise.
func dupNonblocking(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1
	}
	nfd := -1
	rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err == nil && flags&unix.O_NONBLOCK != 0 {
			nfd, _ = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 3)
		}
	})
	return nfd
}

// eventfd returns a new eventfd, numbered 3 or more like the descriptors
// Adopt makes: a process that closed a standard stream gets no eventfd
// in its place, where a later open of that stream's number would expect
// it free.
func eventfd() (int, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil || efd >= 3 {
		return efd, err
	}
	nfd, err := unix.FcntlInt(uintptr(efd), unix.F_DUPFD_CLOEXEC, 3)
	unix.Close(efd)
	return nfd, err
}

// newFile returns a File for fd, which it owns from then on, or nil when
// it cannot make its eventfds (fd is closed then).
func newFile(fd int, name string) *File {
	rfd, err := eventfd()
	if err != nil {
		unix.Close(fd)
		return nil
	}
	wfd, err := eventfd()
	if err != nil {
		unix.Close(rfd)
		unix.Close(fd)
		return nil
	}
	own := &descriptors{fds: [3]int{fd, rfd, wfd}}
	f := &File{fd: fd, name: name, rd: half{efd: rfd}, wr: half{efd: wfd}, own: own}
	runtime.AddCleanup(f, func(d *descriptors) { d.close() }, own)
	return f
}

// Is reports whether c is a *File.
func Is(c any) bool {
	_, ok := c.(*File)
	return ok
}

// Name returns the name of the file f was adopted from.
func (f *File) Name() string { return f.name }

// enter begins an operation: it fails once the file is closed.
func (f *File) enter() error {
	f.live.RLock()
	if f.closed.Load() {
		f.live.RUnlock()
		return os.ErrClosed
	}
	return nil
}

func (f *File) leave() { f.live.RUnlock() }

func (f *File) wrap(op string, err error) error {
	if err == io.EOF {
		return err
	}
	return &os.PathError{Op: op, Path: f.name, Err: err}
}

// Read reads up to len(p) bytes, waiting until some are there.
func (f *File) Read(p []byte) (int, error) {
	if err := f.enter(); err != nil {
		return 0, f.wrap("read", err)
	}
	defer f.leave()
	if len(p) == 0 {
		return 0, nil // as *os.File: without looking at the deadline
	}
	h := &f.rd
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.expired(); err != nil {
		return 0, f.wrap("read", err)
	}
	if h.empty >= emptyStreak && h.empty%emptyResample != 0 {
		h.empty++
		return f.readWaiting(h, p)
	}
	for {
		n, err := unix.Read(f.fd, p)
		switch err {
		case nil:
			h.empty = 0
			return f.result(n, p)
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			h.empty++
			return f.readWaiting(h, p)
		default:
			return 0, f.wrap("read", err)
		}
	}
}

// spin polls the descriptor for input until spinFor has passed since
// start, and reports whether input came (or the pipe ended or failed: the
// read that follows says which).
func (f *File) spin(h *half, start int64) bool {
	var zero unix.Timespec
	for since()-start < spinFor {
		h.fds[0] = unix.PollFd{Fd: int32(f.fd), Events: unix.POLLIN}
		n, err := unix.Ppoll(h.fds[:1], &zero, nil)
		if err == nil && n > 0 {
			return true
		}
		if err != nil && err != unix.EINTR {
			return false
		}
	}
	return false
}

func (f *File) result(n int, p []byte) (int, error) {
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// readWaiting reads into p once input comes, which it did not find there.
// When the last waits were short and read little (the peer answers small
// calls in microseconds), it first spins for up to spinFor, polling the
// pipe without waiting: a thread that sleeps in ppoll costs a wakeup on
// each side of every call, which on a machine of few cores is most of a
// small call's time, and more CPU than the spin. The spin polls rather
// than reads, as a read takes the pipe's lock, which the peer's write
// needs. A wait longer than spinFor (a slow service, an idle connection)
// or a large frame (whose peer has more to do than answer) stops the
// spinning until quickWaits waits in a row are short again, and a spin in
// vain stops the next spinSkips reads from spinning: a connection spins
// only while its peer answers within the spin.
func (f *File) readWaiting(h *half, p []byte) (int, error) {
	start := since()
	spun := h.spins()
	ready := spun && f.spin(h, start)
	vain := spun && !ready
	for {
		if !ready {
			if err := f.wait(h, unix.POLLIN); err != nil {
				return 0, f.wrap("read", err)
			}
		}
		ready = false
		n, err := unix.Read(f.fd, p)
		switch err {
		case nil:
			h.waited(since()-start, n, vain)
			return f.result(n, p)
		case unix.EAGAIN, unix.EINTR:
		default:
			return 0, f.wrap("read", err)
		}
	}
}

// Write writes all of p, waiting while the pipe is full.
func (f *File) Write(p []byte) (int, error) {
	if err := f.enter(); err != nil {
		return 0, f.wrap("write", err)
	}
	defer f.leave()
	h := &f.wr
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.expired(); err != nil {
		return 0, f.wrap("write", err)
	}
	n := 0
	for n < len(p) {
		m, err := unix.Write(f.fd, p[n:])
		if m > 0 {
			n += m
		}
		switch err {
		case nil:
		case unix.EINTR:
		case unix.EAGAIN:
			if err := f.wait(h, unix.POLLOUT); err != nil {
				return n, f.wrap("write", err)
			}
		default:
			return n, f.wrap("write", err)
		}
	}
	return n, nil
}

// base is the origin of deadlines: they are kept as durations since base,
// on the monotonic clock when they came with a monotonic reading (from
// time.Now), as *os.File keeps them, so that stepping the wall clock does
// not move them.
var base = time.Now()

// since returns the time since base.
func since() int64 { return int64(time.Since(base)) }

// expired reports os.ErrDeadlineExceeded when h's deadline has passed.
func (h *half) expired() error {
	if d := h.deadline.Load(); d != 0 && since() >= d {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// wait waits until the descriptor is ready for events (or has failed or
// hung up: the next read or write says which), h's deadline passes or the
// file closes. h.mu is held.
func (f *File) wait(h *half, events int16) error {
	for {
		if f.closed.Load() {
			return os.ErrClosed
		}
		var ts *unix.Timespec
		if d := h.deadline.Load(); d != 0 {
			left := d - since()
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			t := unix.NsecToTimespec(left)
			ts = &t
		}
		h.fds[0] = unix.PollFd{Fd: int32(f.fd), Events: events}
		h.fds[1] = unix.PollFd{Fd: int32(h.efd), Events: unix.POLLIN}
		n, err := unix.Ppoll(h.fds[:], ts, nil)
		switch {
		case err == unix.EINTR || n == 0:
			continue // a signal, or the deadline: look again
		case err != nil:
			return err
		}
		if h.fds[1].Revents != 0 {
			unix.Read(h.efd, h.drain[:]) // reset the count, then look again
			continue
		}
		return nil
	}
}

// poke ends h's wait in progress, or makes the next one look again.
func (h *half) poke() {
	one := [8]byte{1}
	unix.Write(h.efd, one[:])
}

func (h *half) setDeadline(t time.Time) {
	if t.IsZero() {
		h.deadline.Store(0)
		return // a wait without a deadline needs no waking
	}
	d := int64(t.Sub(base)) // saturates: far past and far future stay so
	if d == 0 {
		d = -1 // base itself: passed, not "none"
	}
	h.deadline.Store(d)
	h.poke()
}

// SetReadDeadline sets the time after which reads fail with
// os.ErrDeadlineExceeded, ending a read that waits; zero means none.
func (f *File) SetReadDeadline(t time.Time) error {
	return f.setDeadline("setreaddeadline", t, &f.rd)
}

// SetWriteDeadline is SetReadDeadline for writes.
func (f *File) SetWriteDeadline(t time.Time) error {
	return f.setDeadline("setwritedeadline", t, &f.wr)
}

// SetDeadline sets both deadlines.
func (f *File) SetDeadline(t time.Time) error {
	return f.setDeadline("setdeadline", t, &f.rd, &f.wr)
}

func (f *File) setDeadline(op string, t time.Time, halves ...*half) error {
	if err := f.enter(); err != nil {
		return f.wrap(op, err)
	}
	defer f.leave()
	for _, h := range halves {
		h.setDeadline(t)
	}
	return nil
}

// Close ends the reads and writes in progress with os.ErrClosed, waits
// for them to return, and closes the descriptor.
func (f *File) Close() error {
	if f.closed.Swap(true) {
		return f.wrap("close", os.ErrClosed)
	}
	f.rd.poke()
	f.wr.poke()
	f.live.Lock() // every operation has seen closed and left
	defer f.live.Unlock()
	if err := f.own.close(); err != nil {
		return f.wrap("close", err)
	}
	return nil
}

// SyscallConn returns the descriptor for raw reads and writes, which wait
// as Read and Write do.
func (f *File) SyscallConn() (syscall.RawConn, error) { return rawConn{f}, nil }

type rawConn struct{ f *File }

func (c rawConn) Control(fn func(fd uintptr)) error {
	if err := c.f.enter(); err != nil {
		return err
	}
	defer c.f.leave()
	fn(uintptr(c.f.fd))
	return nil
}

func (c rawConn) Read(fn func(fd uintptr) bool) error { return c.f.raw(&c.f.rd, unix.POLLIN, fn) }

func (c rawConn) Write(fn func(fd uintptr) bool) error { return c.f.raw(&c.f.wr, unix.POLLOUT, fn) }

// raw calls fn until it reports done, waiting for events between calls.
func (f *File) raw(h *half, events int16, fn func(fd uintptr) bool) error {
	if err := f.enter(); err != nil {
		return err
	}
	defer f.leave()
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		if err := h.expired(); err != nil {
			return err
		}
		if fn(uintptr(f.fd)) {
			return nil
		}
		if err := f.wait(h, events); err != nil {
			return err
		}
	}
}
