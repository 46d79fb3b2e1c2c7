//go:build linux || darwin

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

// iovMax is the most pieces one writev takes (IOV_MAX on Linux).
const iovMax = 1024

// tryWritev writes what the descriptor takes at once of the parts, in
// order, without blocking, and returns how many bytes it wrote.
func tryWritev(rc syscall.RawConn, parts [][]byte) (int, error) {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for n < total {
			var m int
			var err error
			if len(parts) == 1 {
				m, err = unix.Write(int(fd), parts[0][n:])
			} else {
				iov := skip(append([][]byte(nil), parts...), n)
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
