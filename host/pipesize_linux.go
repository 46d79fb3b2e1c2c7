package host

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the buffer asked for each direction of a connection's pipes:
// a 1 MiB blob then crosses in one write instead of sixteen 64 KiB rounds.
// Linux grants up to /proc/sys/fs/pipe-max-size (1 MiB by default) to
// unprivileged processes; a refusal leaves the default, which works.
const pipeSize = 1 << 20

func growPipe(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize)
		})
	}
}
