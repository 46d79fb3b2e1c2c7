package pluginexec

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// sealed copies the binary into a sealed memfd while hashing it, and makes
// p execute that memfd, inherited as its last extra file, through
// /proc/self/fd.
func (cs *checksum) sealed(p *Process, bin *os.File) (func(), error) {
	fd, err := unix.MemfdCreate("hostcall-plugin", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("checksum: memfd_create: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "memfd:"+p.Path)
	if err := cs.verify(p.Path, io.TeeReader(bin, mem)); err != nil {
		mem.Close()
		return nil, err
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		mem.Close()
		return nil, fmt.Errorf("checksum: sealing the copy of %s: %w", p.Path, err)
	}
	if err := mem.Chmod(memfdMode(p)); err != nil {
		mem.Close()
		return nil, fmt.Errorf("checksum: %w", err)
	}
	child := 3 + len(p.ExtraFiles)
	p.ExtraFiles = append(p.ExtraFiles, mem)
	p.Path = "/proc/self/fd/" + strconv.Itoa(child)
	return func() { mem.Close() }, nil
}

// memfdMode is the mode of the checked copy: executable by the host's user
// only, or by every user when the plugin runs as another one. The copy is
// sealed, and other processes can reach it only through the host's
// descriptor table, which is theirs to see only if they may trace the host.
func memfdMode(p *Process) os.FileMode {
	if p.Credential != nil {
		return 0o555
	}
	return 0o500
}
