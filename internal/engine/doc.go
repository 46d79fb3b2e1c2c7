// Package engine is hostcall's connection engine: one connection over a
// reader and a writer that serves an optional registry to the peer and
// carries calls to the peer, whichever end of the pipes it is. Package host
// and package service are thin faces over it: the host serves its registry
// with Conn.Serve, a plugin's service.Client calls with Conn.Call, and
// either may do both.
//
// # One owner of the state
//
// A Conn's state (the calls this end waits on, the calls it runs, the
// peer's hello, the terminal error) lives behind one mutex, and every
// transition goes through one method: register and take for the calls this
// end makes, admit and release for the calls it serves, fail for the end of
// the connection. fail reaches everything blocked on the connection: calls
// waiting for a response, senders waiting for room in the writer, and the
// contexts of running services.
//
// # Reading
//
// Exactly one goroutine reads at a time. A serving connection reads in
// Serve's loop, running small calls inline on the reader and handing
// reading to a new goroutine when a call outlives a short budget (see
// serve.go). A connection that only calls lets its waiting callers read for
// themselves, one at a time, holding the read token: a caller reads until
// its own response arrives, routing the others to their callers. When the
// caller's context ends, Framer.Wake interrupts the read wherever it is,
// between frames or inside one (a half-written frame, blobs announced and
// not sent): the framer keeps what it had read, the caller returns at once,
// and the next reader goes on from there, so the stream stays in step.
// Readers without a read deadline get a reader goroutine instead, and
// callers wait on channels.
//
// A serving connection whose reader has just answered the one caller
// waiting lends it the token (lend, in serve.go): that caller's next call
// reads its own reply too, as on a connection that only calls, with no
// goroutine hand-off per call (hostcall-h2p in docs/bench). A caller reads
// as Serve's reader does but runs no call inline. The token comes back to
// a reader of Serve's when a served call ends, when callers leave it idle
// for a whole tick of the inline watchdog (so the peer's requests wait one
// to two ticks at most), or when a caller holding it has read the peer's
// calls (which Serve's reader would run inline); each such lend makes
// lending rarer (lendSkip).
//
// # Writing
//
// Frames go out through one wire.Writer: a sender writes its frame itself
// when nothing else is being written, else it is queued for the writer's
// goroutine or for the sender writing, which takes the queue with it. A
// reader that runs a call inline with more requests buffered behind it
// holds the reply back (Writer.Defer, in sendInline): the replies to a
// batch of requests read together go out in one write, as a loop over raw
// pipes would flush once per read. They are written before the reader
// reads again (Framer.BeforeRead), before it waits for room for a call,
// at the watchdog's tick, with the next frame anyone sends, and once they
// reach 32 KiB or have waited 100µs: never behind a wait.
//
// # Frames
//
// Frames are built and parsed by internal/wire only; the registry takes the
// arguments' JSON and returns the results' JSON and blobs.
package engine
