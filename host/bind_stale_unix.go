//go:build unix

package host

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A run's FIFO directory is named
//
//	hostcall-<machine>-<pid>-<start>-<random>
//
// after the host process that made it: <machine> names the boot and PID
// namespace the pid belongs to (processIdentity), <start> the process's
// start time, so a reused pid is told apart. A host killed before it could
// remove its directories (SIGKILL) leaves them behind; the next host to
// make one in the same place removes those whose maker is gone.
const runDirPrefix = "hostcall-"

// makeRunDir removes stale run directories from hostDir, then makes a new
// one, mode 0700, for this process.
func makeRunDir(hostDir string) (string, error) {
	machine, start := processIdentity()
	removeStaleRunDirs(hostDir, machine)
	return os.MkdirTemp(hostDir, fmt.Sprintf("%s%s-%d-%d-", runDirPrefix, machine, os.Getpid(), start))
}

// removeStaleRunDirs removes the run directories in hostDir made on this
// machine, in this PID namespace, by processes that are gone. It leaves
// alone anything else: other names, other owners, symbolic links, and
// directories it cannot judge (another machine or namespace, where the pid
// means nothing here). Failures are ignored: stale directories are litter,
// not a reason to fail a run.
func removeStaleRunDirs(hostDir, machine string) {
	entries, err := os.ReadDir(hostDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		m, pid, start, ok := parseRunDir(e.Name())
		if !ok || m != machine || !e.IsDir() || processAlive(pid, start) {
			continue
		}
		path := filepath.Join(hostDir, e.Name())
		fi, err := os.Lstat(path)
		if err != nil || !fi.IsDir() {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
			continue
		}
		os.RemoveAll(path)
	}
}

// parseRunDir splits a run directory's name into its maker's machine, pid
// and start time.
func parseRunDir(name string) (machine string, pid int, start uint64, ok bool) {
	rest, ok := strings.CutPrefix(name, runDirPrefix)
	if !ok {
		return "", 0, 0, false
	}
	f := strings.Split(rest, "-")
	if len(f) != 4 || f[0] == "" {
		return "", 0, 0, false
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil || pid <= 0 {
		return "", 0, 0, false
	}
	start, err = strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		return "", 0, 0, false
	}
	if _, err := strconv.ParseUint(f[3], 10, 64); err != nil {
		return "", 0, 0, false
	}
	return f[0], pid, start, true
}
