//go:build unix

package service

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// guardOrphan watches the client's descriptors for the host's end and
// calls exit, with how long ago that was, once grace has passed after it.
func (c *Client) guardOrphan(grace time.Duration, exit func(gone time.Duration)) error {
	var fds []int
	closeAll := func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	for _, s := range []any{c.in, c.out} {
		fd, err := dupFD(s)
		if err != nil {
			closeAll()
			return fmt.Errorf("service: orphan guard: %w", err)
		}
		fds = append(fds, fd)
	}
	var wake [2]int
	if err := cloexecPipe(&wake); err != nil {
		closeAll()
		return fmt.Errorf("service: orphan guard: %w", err)
	}
	fds = append(fds, wake[0])
	stopped := make(chan struct{})
	c.guardMu.Lock()
	if c.guardStop != nil {
		c.guardMu.Unlock()
		closeAll()
		unix.Close(wake[1])
		return errors.New("service: orphan guard: already started")
	}
	c.guardStop = func() {
		unix.Write(wake[1], []byte{0})
		<-stopped
		unix.Close(wake[1])
	}
	c.guardMu.Unlock()
	go func() {
		defer close(stopped)
		defer closeAll()
		if !hangUp(fds) {
			return // Close stopped the guard
		}
		gone := time.Now()
		// Wait out the grace period, unless Close comes first.
		wfd := []unix.PollFd{{Fd: int32(wake[0]), Events: unix.POLLIN}}
		for left := grace; left > 0; left = grace - time.Since(gone) {
			n, err := unix.Poll(wfd, int(left.Milliseconds())+1)
			if err == nil && n > 0 {
				return
			}
			if err != nil && err != unix.EINTR {
				break
			}
		}
		exit(time.Since(gone))
	}()
	return nil
}

// hangUp blocks until one of the streams (all fds but the last) reports
// that its other end is closed, true, or the last fd, the guard's wake
// pipe, becomes readable, false. A pipe's read end reports POLLHUP once
// its writers are gone, and its write end POLLERR once its readers are;
// events 0 asks for nothing else.
func hangUp(fds []int) bool {
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i].Fd = int32(fd)
	}
	pfds[len(fds)-1].Events = unix.POLLIN
	for {
		_, err := unix.Poll(pfds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pfds[len(fds)-1].Revents != 0 {
			return false
		}
		for _, p := range pfds {
			if p.Revents&unix.POLLNVAL != 0 {
				return false // a descriptor of the guard's was closed under it: stop, do not spin
			}
		}
		for _, p := range pfds[:len(fds)-1] {
			if p.Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
				return true
			}
		}
	}
}

// dupFD returns a duplicate of the descriptor behind s, close-on-exec.
func dupFD(s any) (int, error) {
	sc, ok := s.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("a %T has no descriptor to watch", s)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	return fd, derr
}

// cloexecPipe makes a pipe whose ends no child process inherits.
func cloexecPipe(p *[2]int) error {
	syscall.ForkLock.RLock() // no fork between the pipe and its flags
	defer syscall.ForkLock.RUnlock()
	if err := unix.Pipe(p[:]); err != nil {
		return err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return nil
}
