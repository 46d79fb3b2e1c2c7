package host

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// processIdentity returns the machine token of this process's run
// directories (the first 8 hex digits of the boot id and the PID
// namespace's inode, "0" for what cannot be read) and its start time.
var processIdentity = sync.OnceValues(func() (string, uint64) {
	boot := "0"
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		if s := strings.ReplaceAll(strings.TrimSpace(string(b)), "-", ""); len(s) >= 8 {
			boot = s[:8]
		}
	}
	ns := "0"
	if link, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		if s, ok := strings.CutPrefix(link, "pid:["); ok {
			ns = strings.TrimSuffix(s, "]")
		}
	}
	start, _ := processStart(os.Getpid())
	return boot + "." + ns, start
})

// processAlive reports whether pid is a live process (a zombie counts)
// that started at start.
func processAlive(pid int, start uint64) bool {
	s, ok := processStart(pid)
	return ok && s == start
}

// processStart reads pid's start time, in clock ticks since boot, from
// /proc/<pid>/stat (field 22).
func processStart(pid int) (uint64, bool) {
	f := procStat(pid)
	if len(f) < 20 {
		return 0, false
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	return start, err == nil
}
