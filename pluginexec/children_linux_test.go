package pluginexec

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// leftoverChildren lists the processes, zombies included, whose parent is
// the test process.
func leftoverChildren() []string {
	me := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	var kids []string
	for _, e := range entries {
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // not a process, or gone
		}
		if state, ppid, ok := parseStat(stat); ok && ppid == me {
			kids = append(kids, fmt.Sprintf("pid %s state %s", e.Name(), state))
		}
	}
	return kids
}

// parseStat returns the state and parent pid fields of /proc/PID/stat,
// which follow the command name in parentheses.
func parseStat(stat []byte) (state, ppid string, ok bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "", "", false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return "", "", false
	}
	return f[0], f[1], true
}
