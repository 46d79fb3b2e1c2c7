//go:build !unix

package pluginexec

import (
	"os"
	"syscall"
)

// group is the plugin process alone where there are no process groups.
type group struct {
	leader *os.Process
}

func newGroup(leader *os.Process) *group { return &group{leader: leader} }

// signal kills the process for SIGKILL; other signals cannot be sent.
func (g *group) signal(sig syscall.Signal) {
	if sig == syscall.SIGKILL {
		_ = g.leader.Kill()
	}
}

// terminate has no signal to send short of killing.
func (g *group) terminate() {}

// alive: the process has been waited for, and nothing else is tracked.
func (g *group) alive() bool { return false }

// awaitExit cannot see an exit without waiting for the process.
func awaitExit(*os.Process) bool { return false }
