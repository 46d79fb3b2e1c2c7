package pluginexec

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// awaitExit waits until proc has exited, without reaping it, and reports
// whether it could: the exited process then still holds its pid, and so
// its group id.
func awaitExit(proc *os.Process) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, proc.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err == nil
		}
	}
}

// liveMember reports whether a process of group pgid is not a zombie,
// from /proc/PID/stat. Only called when the group has members, which is
// rare: when a plugin leaves processes behind.
func liveMember(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true // cannot tell: assume so
	}
	want := strconv.Itoa(pgid)
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		if state, group, ok := statGroup(stat); ok && group == want && state != "Z" && state != "X" {
			return true
		}
	}
	return false
}

// statGroup returns the state and process group fields of /proc/PID/stat,
// which follow the command name in parentheses (which may hold anything).
func statGroup(stat []byte) (state, pgrp string, ok bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "", "", false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 3 {
		return "", "", false
	}
	return f[0], f[2], true
}
