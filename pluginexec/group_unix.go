//go:build unix

package pluginexec

import (
	"os"
	"syscall"
)

// group is a plugin process and the process group it leads: the plugin is
// started with Setpgid, so its group id is its pid, and the processes it
// starts join that group unless they leave it.
//
// While the leader has exited but is not yet reaped, the group id cannot be
// reused. Signals sent after that find either members still in the group,
// which keep the id theirs, or no process at all: the id could only be
// taken again by a new process that makes itself a group leader after the
// whole pid space has been allocated around, which the short ending of a
// group does not leave time for.
type group struct {
	leader *os.Process
	pgid   int
}

func newGroup(leader *os.Process) *group {
	return &group{leader: leader, pgid: leader.Pid}
}

// signal sends sig to every member of the group.
func (g *group) signal(sig syscall.Signal) {
	_ = syscall.Kill(-g.pgid, sig)
}

// terminate asks every member to end: SIGTERM, and SIGCONT so that a
// stopped member gets it too.
func (g *group) terminate() {
	g.signal(syscall.SIGTERM)
	g.signal(syscall.SIGCONT)
}

// alive reports whether a member of the group may still run: one that can
// be signalled and, where that can be told, is not a zombie waiting for
// its new parent to reap it.
func (g *group) alive() bool {
	return syscall.Kill(-g.pgid, 0) == nil && liveMember(g.pgid)
}
