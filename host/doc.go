// Package host serves a registry of Go funcs to plugin processes.
//
// Serve speaks the hostcall protocol (docs/PROTOCOL.md, protocols 1 and 2)
// on any reader/writer pair: it reads the plugin's requests from r and
// writes responses to w until the plugin closes its stream or ctx ends.
//
//	reg := registry.New()
//	reg.AddService("calc", "add", func(a, b int) int { return a + b })
//	err := host.Serve(ctx, reg, requests, responses)
//
// Serve is a thin face over hostcall's connection engine
// (internal/engine), the same one a plugin's service.Client runs on: one
// reader, one batching writer, one owner of the connection's state, the
// same codes, cancel, deadlines and blobs at both ends.
//
// # Callers
//
// Bind serves each plugin run on its own connection, and each call knows
// its run: CallerFromContext gives a service the plugin, the command and
// the process id the call came from (a BindFunc passes WithCallerFrom to
// its Serve for that). Services that only some plugins may reach go in a
// registry layer of their own per plugin instead (registry.Inherit, and
// ExampleBind_perPluginLayers).
//
// # Calling plugins
//
// Start runs a long-lived plugin that serves its own registry
// (service.Serve) and returns a *Running whose GetService fills funcs that
// call the plugin; OnConnect hands the host the client of each run that
// Bind serves, for plugins run to completion. Calls nest both ways.
//
// # Health and supervision
//
// Running.Ping pings a long-lived plugin, which answers as soon as it
// reads the ping, whatever its services are doing: a plugin that is
// stopped, stuck or gone fails it within ctx's deadline. WithRestart makes
// Start supervise the plugin: when it exits without being stopped, it is
// started again with exponential backoff up to a limit (ErrRestartLimit),
// its registry bound to the new process, OnRestart told each time, and the
// funcs GetService filled call the new process. A plugin asks to be
// stopped with service.Leave: the host closes its stream to it (a plugin
// in service.Serve returns), stops it as Stop does and does not restart
// it; Running.Left says so. Plugins ping the host with service.Ping.
//
//	p, err := host.Start(ctx, plug, reg, host.WithCommand("serve"),
//		host.WithRestart(host.RestartPolicy{
//			MaxRestarts: 5, Window: time.Minute,
//			OnRestart: func(ev host.RestartEvent) { logger.Warn("restarted", "plugin", ev.Plugin, "exit", ev.Exit) },
//		}))
//
// # Logs
//
// WithLogger makes every record a plugin logs with service.LogHandler
// arrive in a *slog.Logger of the host, with its time, level, message,
// attributes and groups, plus the plugin's name, command and process id;
// the plugin's stderr lines become records too (a Go panic's message and
// stack one ERROR record), and so do the host's own diagnostics about the
// run:
//
//	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
//	err := pluginexec.Exec(ctx, plugins, nil, host.Bind(reg, host.WithLogger(logger)))
//
// The records travel as calls to the namespace "hostcall.log" that
// WithLogger adds to each run's registry (docs/PROTOCOL.md section 6,
// logs).
//
// # Concurrency
//
// One goroutine reads at a time. Calls run concurrently, each with a
// context that the plugin's cancel frame, the call's timeout or the end of
// the connection cancels. A call with nothing else to read behind it runs
// on the reader's own goroutine, which spares a hand-off through the
// scheduler (most of the cost of a small call between processes); if it
// runs longer than a fraction of a millisecond a new goroutine takes over
// reading, so a slow service never holds up the others or their cancels.
// At most WithMaxInFlight calls run at once per connection, as many more
// wait in a queue (still reading cancels and the end of the stream), and
// the arguments of the calls running and queued stay within
// WithMaxPendingBytes; beyond either, the host stops reading from that
// plugin: backpressure, not a queue that grows. Responses go out through one writer that batches what
// is queued while it writes.
//
// The host's ends of the pipes it makes (anonymous and named) are read and
// written outside the Go runtime's netpoller: a read that waits does so in
// ppoll(2) on its own thread, which the plugin's write wakes directly. A
// descriptor in the runtime's epoll set would wake another thread of the
// host on every message as well, which on a machine with few cores costs a
// small call more than the call itself. For the same reason, while a
// plugin answers small calls within microseconds, a read that finds
// nothing polls the pipe for up to 50µs before it sleeps (on machines of
// more than one core). So each running plugin holds one thread while its
// connection waits for input (and one more while a response waits for
// room in a full pipe); deadlines and Close end those waits as they would
// the netpoller's.
//
// # Bad input
//
// Nothing a plugin sends panics the host or hangs it. A frame that is not a
// request is answered with code bad_request when its sequence can be
// recovered and dropped otherwise; a frame over the size limit is discarded
// as it streams by and answered with too_large; bytes between frames are
// skipped. A service that panics is answered with code panic and the host
// keeps serving.
//
// # Shutdown
//
// When the connection ends, every running call's context is canceled (calls
// cut short because ctx ended answer unavailable, the others canceled), and
// Serve waits for the services to return, within WithDrainTimeout, before it
// returns.
package host
