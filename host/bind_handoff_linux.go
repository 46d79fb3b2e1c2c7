package host

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// pipeInodes sets the inode and host descriptor of each end and reports
// whether descendants can be watched for them.
func pipeInodes(ends []pluginEnd) bool {
	for i := range ends {
		var st unix.Stat_t
		fd, err := rawFD(ends[i].f)
		if err != nil || unix.Fstat(fd, &st) != nil {
			return false
		}
		ends[i].ino, ends[i].hostFD = st.Ino, fd
	}
	return true
}

// heldByDescendants reports, by inode, which of ends a descendant of this
// process holds as the plugin would: in the plugin's direction, and either
// inherited (not close-on-exec: a descendant that is not the plugin holds
// the host's descriptors only as close-on-exec copies, while forking) or
// opened anew (another open file than the host's, as a procfs open makes).
func heldByDescendants(ends []pluginEnd) map[uint64]bool {
	want := make(map[uint64]pluginEnd, len(ends))
	for _, e := range ends {
		want[e.ino] = e
	}
	held := make(map[uint64]bool)
	for _, pid := range descendants() {
		dir := filepath.Join("/proc", strconv.Itoa(pid))
		entries, err := os.ReadDir(filepath.Join(dir, "fd"))
		if err != nil {
			continue // gone, or not ours to look at
		}
		for _, fd := range entries {
			link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			if err != nil {
				continue
			}
			ino, ok := pipeInode(link)
			e, wanted := want[ino]
			if !ok || !wanted || held[ino] {
				continue
			}
			flags, ok := fdFlags(filepath.Join(dir, "fdinfo", fd.Name()))
			if !ok || !pluginsDirection(e, flags) {
				continue
			}
			n, err := strconv.Atoi(fd.Name())
			if err == nil && (flags&unix.O_CLOEXEC == 0 || otherFile(pid, n, e.hostFD)) {
				held[ino] = true
			}
		}
	}
	return held
}

// pluginsDirection reports whether a descriptor with these flags can be
// used in e's direction.
func pluginsDirection(e pluginEnd, flags int) bool {
	switch flags & unix.O_ACCMODE {
	case unix.O_RDWR:
		return true
	case unix.O_WRONLY:
		return e.write
	default:
		return !e.write
	}
}

// kcmpFile is KCMP_FILE of kcmp(2).
const kcmpFile = 0

// otherFile reports whether descriptor fd of pid is another open file
// than this process's descriptor hostFD: kcmp(2) says so, and only when it
// can (it needs a kernel with CONFIG_KCMP and the right to inspect pid).
func otherFile(pid, fd, hostFD int) bool {
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(os.Getpid()), uintptr(pid), kcmpFile,
		uintptr(hostFD), uintptr(fd), 0)
	return errno == 0 && r != 0
}

// pipeInode parses a descriptor link of the form "pipe:[12345]".
func pipeInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "pipe:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(s, 10, 64)
	return ino, err == nil
}

// fdFlags reads the flags (access mode, status flags and O_CLOEXEC) from
// a /proc/<pid>/fdinfo/<fd> file.
func fdFlags(fdinfo string) (int, bool) {
	b, err := os.ReadFile(fdinfo)
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("flags:")); ok {
			flags, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 64)
			return int(flags), err == nil
		}
	}
	return 0, false
}

// descendants returns the pids of this process's descendants.
func descendants() []int {
	kids := childrenOf
	if !haveChildrenFiles() {
		kids = parentMap()
	}
	var out []int
	queue := kids(os.Getpid())
	seen := make(map[int]bool)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, pid)
		queue = append(queue, kids(pid)...)
	}
	return out
}

// haveChildrenFiles reports whether the kernel has
// /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN).
var haveChildrenFiles = sync.OnceValue(func() bool {
	pid := strconv.Itoa(os.Getpid())
	_, err := os.Stat(filepath.Join("/proc", pid, "task", pid, "children"))
	return err == nil
})

// childrenOf lists pid's children from the children files of its threads.
func childrenOf(pid int) []int {
	task := filepath.Join("/proc", strconv.Itoa(pid), "task")
	tids, err := os.ReadDir(task)
	if err != nil {
		return nil
	}
	var kids []int
	for _, tid := range tids {
		b, err := os.ReadFile(filepath.Join(task, tid.Name(), "children"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// parentMap reads every process's parent from /proc/<pid>/stat, for
// kernels without children files, and returns a children lookup.
func parentMap() func(int) []int {
	entries, _ := os.ReadDir("/proc")
	kids := make(map[int][]int)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			kids[ppid] = append(kids[ppid], pid)
		}
	}
	return func(pid int) []int { return kids[pid] }
}

// parentOf reads pid's parent from /proc/<pid>/stat.
func parentOf(pid int) (int, bool) {
	fields := procStat(pid)
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// procStat returns the fields of /proc/<pid>/stat after the command name
// (so field 3 of proc(5), the state, comes first), or nil. The name is in
// parentheses and may hold spaces and parentheses itself.
func procStat(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}
