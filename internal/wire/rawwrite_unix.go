//go:build unix

package wire

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// rawConn returns the descriptor of w when it is a pipe, FIFO or socket
// file whose writes can be tried without blocking, nil otherwise.
func rawConn(w any) syscall.RawConn {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	rc, err := f.SyscallConn()
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

// tryWrite writes what the descriptor takes at once, without blocking.
func tryWrite(rc syscall.RawConn, p []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, err := unix.Write(int(fd), p[n:])
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				werr = err
				break
			}
			n += m
		}
		return true
	})
	if werr == nil {
		werr = err
	}
	if werr != nil {
		return n, &os.PathError{Op: "write", Path: "pipe", Err: werr}
	}
	return n, nil
}

