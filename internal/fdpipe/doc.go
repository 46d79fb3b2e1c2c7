// Package fdpipe reads and writes the pipes of a connection outside the
// Go runtime's netpoller.
//
// A descriptor that the netpoller watches sits in the runtime's epoll set,
// and every byte written to the pipe, or read from it by the peer, wakes a
// thread of the runtime waiting in epoll, whether or not a goroutine waits
// for that descriptor. On a small call between two processes that is a
// wakeup per message on top of the one that matters, with the thread it
// wakes competing with the peer for the machine's cores: on two cores it
// costs more than the call itself. A File waits for its descriptor in
// ppoll(2) on the waiting goroutine's own thread instead, which the
// peer's write wakes directly, as it would a blocking read; an eventfd
// per direction ends the wait for deadlines and Close, so that reads and
// writes stay interruptible as the netpoller's are.
//
// While the peer answers small calls within microseconds, a read that
// finds nothing spins for up to 50µs, polling the pipe, before it sleeps:
// on a machine of few cores the wakeups cost a small call more than the
// spin (see readWaiting). A connection whose waits are longer, or whose
// frames are large, does not spin, nor does any on a machine of one core.
//
// The cost is a thread per wait in progress: one per connection whose
// reader waits, and one more while its writer waits for a full pipe. So
// that a host with thousands of plugins never nears the runtime's thread
// limit (debug.SetMaxThreads, 10000 by default), Adopt leaves files to the
// netpoller once MaxLive Files are open.
//
// Adopt takes over an *os.File that the process owns; on systems other
// than Linux it returns the file as it is.
package fdpipe
