//go:build unix && !aix

package opener

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// adopted records the descriptors above 2 that an fd URL has taken over in
// this process. Their numbers are closed after adoption and may be reused
// by unrelated files, so a second fd URL for the same number is refused
// instead of adopting whatever holds the number then. The mutex also makes
// each check-duplicate-close sequence atomic with respect to other fd
// URLs.
var adopted = struct {
	sync.Mutex
	fds map[int]bool
}{fds: make(map[int]bool)}

// openFD is the FileOpener of the fd scheme. fd://N takes over descriptor
// N, which the process inherited:
//
//   - It checks that N is open and that its access mode allows flag's
//     (a read-only descriptor cannot be opened with os.O_WRONLY or
//     os.O_RDWR). Other flag bits are ignored.
//   - It duplicates N onto a new close-on-exec descriptor, so it does not
//     leak into processes this one starts, and returns an *os.File for
//     the duplicate, named by the URL. For N > 2 the duplicate is put in
//     non-blocking mode: a pipe, FIFO or socket then honours read and
//     write deadlines, as one opened by the file scheme does.
//   - For N > 2 it closes N, and every later fd URL for N fails: an
//     inherited descriptor is opened once per process.
//   - For the standard streams (0, 1, 2) it leaves N open and inheritable,
//     so os.Stdin, os.Stdout and os.Stderr keep working; closing the
//     returned file does not close them, and they can be opened again.
//
// N must not be owned by anything else in the process (an *os.File, for
// instance): opening it takes it over.
func openFD(u *url.URL, flag int) (io.ReadWriteCloser, error) {
	fd, err := parseFD(u)
	if err != nil {
		return nil, err
	}
	adopted.Lock()
	defer adopted.Unlock()
	if adopted.fds[fd] {
		return nil, fmt.Errorf("descriptor %d was already opened by an earlier fd URL in this process (each inherited descriptor can be opened once)", fd)
	}
	if err := checkAccess(fd, flag); err != nil {
		return nil, err
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("duplicate descriptor %d: %w", fd, err)
	}
	if fd > 2 {
		// The duplicate already refers to the open file; an error from
		// closing the old number leaves nothing to undo.
		_ = unix.Close(fd)
		adopted.fds[fd] = true
		// Not shared in this process now: in non-blocking mode, reads and writes go
		// through the runtime's poller, so deadlines interrupt them and
		// Close does not wait for a write that a peer never drains.
		_ = unix.SetNonblock(nfd, true)
	}
	return os.NewFile(uintptr(nfd), u.String()), nil
}

// checkAccess reports an error if fd is not open, or if its access mode
// does not allow the access mode of flag.
func checkAccess(fd, flag int) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if errors.Is(err, unix.EBADF) {
		return fmt.Errorf("descriptor %d is not open in this process (was it passed to it?)", fd)
	}
	if err != nil {
		return fmt.Errorf("descriptor %d: %w", fd, err)
	}
	have, want := fl&unix.O_ACCMODE, flag&unix.O_ACCMODE
	readOK := have == unix.O_RDONLY || have == unix.O_RDWR
	writeOK := have == unix.O_WRONLY || have == unix.O_RDWR
	switch {
	case want == unix.O_RDONLY && !readOK:
		return fmt.Errorf("descriptor %d is open %s and cannot be opened for reading", fd, accessName(have))
	case want == unix.O_WRONLY && !writeOK:
		return fmt.Errorf("descriptor %d is open %s and cannot be opened for writing", fd, accessName(have))
	case want == unix.O_RDWR && !(readOK && writeOK):
		return fmt.Errorf("descriptor %d is open %s and cannot be opened for reading and writing", fd, accessName(have))
	}
	return nil
}

func accessName(mode int) string {
	switch mode {
	case unix.O_RDONLY:
		return "read-only"
	case unix.O_WRONLY:
		return "write-only"
	case unix.O_RDWR:
		return "read-write"
	}
	return fmt.Sprintf("with access mode %#x", mode)
}
