//go:build linux || darwin

package wire

import (
	"os"
	"syscall"

	"github.com/hostcall/hostcall/internal/fdpipe"
	"golang.org/x/sys/unix"
)

// rawConn returns the descriptor of w when it is a pipe, FIFO or socket
// file (an *os.File, or an *fdpipe.File) whose writes can be tried without
// blocking, nil otherwise. Only those two types: a type of the user's that
// embeds one has a Write of its own, which frames must go through.
func rawConn(w any) syscall.RawConn {
	if _, ok := w.(*os.File); !ok && !fdpipe.Is(w) {
		return nil
	}
	c := w.(syscall.Conn)
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	nonblocking := false
	rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		nonblocking = err == nil && flags&unix.O_NONBLOCK != 0
	})
	if !nonblocking {
		return nil // a write could block the sender: leave it to the writer's goroutine
	}
	return rc
}

// iovMax is the most pieces one writev takes (IOV_MAX on Linux).
const iovMax = 1024

// rawWriter writes to a descriptor without blocking. Its state lives in
// the struct and its callback is bound once, so that a write allocates
// nothing. One write at a time (the Writer's writing flag).
type rawWriter struct {
	rc    syscall.RawConn
	fn    func(fd uintptr) bool // step, bound once
	parts [][]byte              // what write was given
	iov   [][]byte              // scratch for writev
	total int
	n     int
	err   error
}

func newRawWriter(w any) *rawWriter {
	rc := rawConn(w)
	if rc == nil {
		return nil
	}
	r := &rawWriter{rc: rc}
	r.fn = r.step
	return r
}

// write writes what the descriptor takes at once of the parts, in order,
// without blocking, and returns how many bytes it wrote.
func (r *rawWriter) write(parts [][]byte) (int, error) {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	r.parts, r.total, r.n, r.err = parts, total, 0, nil
	err := r.rc.Write(r.fn)
	n, werr := r.n, r.err
	r.parts = nil
	clear(r.iov[:cap(r.iov)]) // let go of the caller's buffers
	r.iov = r.iov[:0]
	if werr == nil {
		werr = err
	}
	if werr != nil {
		return n, &os.PathError{Op: "write", Path: "pipe", Err: werr}
	}
	return n, nil
}

func (r *rawWriter) step(fd uintptr) bool {
	for r.n < r.total {
		var m int
		var err error
		if len(r.parts) == 1 {
			m, err = unix.Write(int(fd), r.parts[0][r.n:])
		} else {
			r.iov = append(r.iov[:0], r.parts...)
			iov := skip(r.iov, r.n)
			if len(iov) > iovMax {
				iov = iov[:iovMax]
			}
			m, err = unix.Writev(int(fd), iov)
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			r.err = err
			break
		}
		r.n += m
	}
	return true
}
