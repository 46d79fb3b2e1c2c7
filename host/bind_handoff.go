package host

import (
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/hostcall/hostcall/internal/fdpipe"
)

// Handing a plugin its pipe ends.
//
// The host makes both pipes of a connection, so it holds the plugin's ends
// until the plugin holds them too: for inherited pipes until the plugin's
// process has started, for procfs pipes until the plugin has opened
// /proc/<host pid>/fd/N. While the host holds them, any process allowed to
// open the host's /proc/<pid>/fd entries (the host's uid and root) can open
// the plugin's ends by name, and the host cannot see the plugin close its
// ends: the pipe stays open through the host's own copy until the run ends.
// So the host closes its copy of each end as soon as the plugin holds it.
//
// Nothing tells the host exactly when that is: pluginexec reports no
// process start, and a protocol 1 plugin sends nothing before its first
// call. Two signs are sound, and the host acts on the first it sees:
//
//   - The plugin's first bytes arrive (firstBytes): a process wrote to the
//     plugin's write end, so the plugin holds it. With inherited pipes the
//     plugin got both ends at once, so the host closes both; with procfs
//     pipes only the write end, as the plugin may not have opened its read
//     end yet (closing it then would let the plugin's open fail, or find
//     an unrelated file that took the descriptor number). Only a process
//     allowed to open the host's /proc entries could write first instead
//     of the plugin, and such a process can ptrace the host anyway.
//   - On Linux, a descendant of the host holds the end as the plugin would
//     (heldByDescendants): the host lists its descendants' descriptors, a
//     few milliseconds apart at first, then every maxHandOffDelay. This
//     catches a plugin that has not sent anything yet, and is what frees
//     the read end of procfs pipes. A process the host forked and that has
//     not finished its exec holds close-on-exec copies of all the host's
//     descriptors, sharing the host's open files: those do not count.
//     As a second guard, the read end of procfs pipes, whose number a
//     plugin still to open it would find reused by an unrelated file, is
//     closed only once the plugin's first bytes have arrived as well.
//
// A plugin that opens its ends and closes them before sending anything and
// before a poll sees them, or whose /proc entries the host may not read (a
// non-dumpable plugin, or another uid when the host is not root), leaves
// the host's copies open until the run ends, as before. Without procfs
// (not Linux) only the first sign applies.

// pluginEnd is one of the plugin's pipe ends that the host still holds.
type pluginEnd struct {
	f     *os.File
	write bool // the plugin writes to it
	// Where descendants can be watched: the pipe's inode and f's
	// descriptor number.
	ino    uint64
	hostFD int
}

// Hand-off polling: fast at first, as a plugin usually holds its ends
// within milliseconds of starting, then at most maxHandOffDelay apart for a
// plugin that opens its ends late or never.
const (
	firstHandOffDelay = time.Millisecond
	maxHandOffDelay   = 100 * time.Millisecond
)

// handOff closes p's copies of the plugin's ends as the plugin comes to
// hold its own, until stop is called. arrived is closed when the plugin's
// first bytes reach the host; inherited says the plugin got both ends at
// once, with its process. stop returns once the watch has ended; the
// caller then closes whatever ends are left.
func (p *pipePair) handOff(arrived <-chan struct{}, inherited bool) (stop func()) {
	ends := []pluginEnd{{f: p.pluginR}, {f: p.pluginW, write: true}}
	watch := pipeInodes(ends)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var tick <-chan time.Time
		delay := firstHandOffDelay
		t := time.NewTimer(delay)
		defer t.Stop()
		if watch {
			tick = t.C
		}
		gotBytes := false
		for len(ends) > 0 && (tick != nil || arrived != nil) {
			var held func(pluginEnd) bool
			select {
			case <-quit:
				return
			case <-arrived:
				// Bytes came through the plugin's write end, so the plugin
				// holds it; with inherited pipes, its read end too.
				arrived, gotBytes = nil, true
				held = func(e pluginEnd) bool { return e.write || inherited }
			case <-tick:
				// A procfs read end is closed only once bytes have come
				// too: the plugin then surely opened it if it opens its
				// read end first, as service.Dial does, and the number is
				// never freed for a plugin still to open it.
				inodes := heldByDescendants(ends)
				held = func(e pluginEnd) bool { return inodes[e.ino] && (inherited || e.write || gotBytes) }
				delay = min(2*delay, maxHandOffDelay)
				t.Reset(delay)
			}
			ends = closeHeld(ends, held)
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// closeHeld closes the ends that held reports and returns the others. It
// closes while no fork is in progress: a fork copies the host's
// descriptors, and syscall.ForkLock orders the close after the exec that
// passed an inherited end (which read the *os.File).
func closeHeld(ends []pluginEnd, held func(pluginEnd) bool) []pluginEnd {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	return slices.DeleteFunc(ends, func(e pluginEnd) bool {
		if held(e) {
			e.f.Close()
			return true
		}
		return false
	})
}

// firstBytes is the host's read end of a connection, which reports when
// the plugin's first bytes arrive: proof that the plugin holds its write
// end. It offers what Serve uses of an *os.File: Read and SetReadDeadline.
type firstBytes struct {
	f       fdpipe.Conn
	once    sync.Once
	arrived chan struct{}
}

func newFirstBytes(f fdpipe.Conn) *firstBytes {
	return &firstBytes{f: f, arrived: make(chan struct{})}
}

func (r *firstBytes) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if n > 0 {
		r.once.Do(func() { close(r.arrived) })
	}
	return n, err
}

// SetReadDeadline sets the deadline of the underlying pipe, which Serve
// uses to interrupt a pending read.
func (r *firstBytes) SetReadDeadline(t time.Time) error { return r.f.SetReadDeadline(t) }
