package service

import (
	"fmt"
	"os"
	"time"
)

// OrphanGrace is how long a plugin whose host is gone may go on running
// before the orphan guard ends it (see Client.ExitWithoutHost).
const OrphanGrace = 2 * time.Second

// KeepRunningWithoutHost opts the plugin out of the default connection's
// orphan guard: call it before the default connection is made (before
// InitServiceClient or the first package-level call). A plugin that opts
// out must notice the host's end itself (its calls fail with ErrClosed,
// Serve returns) and exit on its own.
func KeepRunningWithoutHost() {
	std.mu.Lock()
	defer std.mu.Unlock()
	std.keepRunning = true
}

// ExitWithoutHost starts the client's orphan guard: once the host's ends
// of the connection's pipes are closed (the host exited, crashed, or closed
// the connection) and the process is still running grace later, the guard
// writes a line on stderr saying so and exits the process with status 1.
// A plugin that exits on its own within grace, as one whose Serve returned
// does, never meets it. The default connection has it, with OrphanGrace,
// unless the plugin called KeepRunningWithoutHost.
//
// On Linux a plugin run by pluginexec also gets a parent-death signal;
// the guard is what ends plugins elsewhere (other Unix systems), and
// plugins whose host closed the connection but lives on. It watches the
// connection's descriptors (pipes, FIFOs, sockets) without reading them,
// from a thread of its own; Close stops it. It returns an error, and
// guards nothing, where the streams are not descriptors it can watch or
// the system has no poll(2).
func (c *Client) ExitWithoutHost(grace time.Duration) error {
	return c.guardOrphan(grace, func(gone time.Duration) {
		fmt.Fprintf(os.Stderr, "hostcall: the host's end of the connection closed %v ago; exiting (service.KeepRunningWithoutHost opts out)\n",
			gone.Round(time.Millisecond))
		os.Exit(1)
	})
}
