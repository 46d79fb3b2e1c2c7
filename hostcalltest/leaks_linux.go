package hostcalltest

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// descendants returns the process ids of the test process's children,
// their children, and so on, zombies included.
func descendants() map[int]bool {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := readStat(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := map[int]bool{}
	queue := []int{os.Getpid()}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if !out[c] {
				out[c] = true
				queue = append(queue, c)
			}
		}
	}
	return out
}

// readProcess describes pid from /proc, false if it is gone.
func readProcess(pid int) (process, bool) {
	state, _, ok := readStat(pid)
	if !ok {
		return process{}, false
	}
	cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	command := strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
	if command == "" {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		command = "[" + strings.TrimSpace(string(comm)) + "]" // a zombie has no command line left
	}
	return process{pid: pid, state: state, command: command}, true
}

// readStat returns the state and parent of pid, from the fields of
// /proc/PID/stat that follow the command name in parentheses.
func readStat(pid int) (state string, ppid int, ok bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, false // gone, or not a process
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "", 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0], ppid, err == nil
}
