// Package service is the plugin side of hostcall: it calls the Go funcs a
// host exposes as if they were the plugin's own.
//
// A plugin declares a func with the service's parameters and results plus a
// trailing error, and GetService fills it in:
//
//	func main() {
//		service.AddHostFlags(pflag.CommandLine) // --host-file, given by the host
//		pflag.Parse()
//
//		var add func(a, b int) (int, error)
//		if err := service.GetService("calc", "add", &add); err != nil {
//			log.Fatal(err) // add's signature cannot cross the wire; add is still nil
//		}
//		sum, err := add(1, 2) // 3, computed by the host
//	}
//
// The host's func(A, B) C is consumed as func(A, B) (C, error), or as
// func(context.Context, A, B) (C, error) to cancel calls and bound them with
// deadlines: a canceled call returns at once, and a protocol 2 host cancels
// the service's own context. Consumer funcs are safe to call from many
// goroutines at once; calls are multiplexed over one connection.
//
// GetService checks the func once, with the same rules the host's registry
// applies to services (registry.CheckConsumer), and returns an error for
// any misuse: not a pointer to a func, no trailing error, a type that
// cannot cross the wire. It never panics, and an error leaves the func nil.
//
// A context is honoured whatever the host does: a call returns at its
// deadline or cancel even when the host has written half a reply and
// stalled, on every transport; the connection stays in step and later
// calls get their own answers.
//
// # Clients
//
// The package-level functions (GetService, GetManifest, ListServices,
// HasNamespace) use a default client that connects to the URLs given by
// --host-file (or its alias --host) on first use, or when
// InitServiceClient is called. A plugin started without them is not hosted:
// it still runs, and every call fails with ErrNotHosted. For anything else,
// NewClient and Dial make explicit clients on any reader/writer pair.
//
// The pipes and FIFOs that Dial (and so the default client) opens are read
// and written outside the Go runtime's netpoller, on the waiting
// goroutine's own thread, as the host's ends are (see package host,
// Concurrency): the host's reply wakes the waiting caller directly. Files
// given to NewClient are used as they are.
//
// # Finding the host
//
// The host passes its URLs as arguments, "--host-file URL" once (opened
// read-write) or twice (input, then output), after the command's path words
// and before the user's arguments (docs/PROTOCOL.md section 1). The default
// client takes them from one of two places:
//
//   - If AddHostFlags was called, from the pflag.FlagSet it was given, and
//     only from there: parse that set before the first call, or the plugin
//     finds no URL and is not hosted.
//   - Otherwise, from os.Args itself: every "--host-file URL",
//     "--host-file=URL", "--host URL" and "--host=URL", in order, up to a
//     "--" argument. Single-dash spellings (-host-file) are not looked for;
//     hosts do not write them.
//
// So pflag is not required. A plugin without flags of its own needs no flag
// code at all. A plugin using the standard flag package must let its flag set
// accept --host-file and --host (flag.Func with a func that ignores the
// value will do), or Parse fails on them; and, as that package stops at the
// first argument that is not a flag, it parses the arguments after the
// command's path words: examples/adder/plugin-stdflag does both. HostURLs
// returns the URLs found, Hosted whether there are any.
//
// # Logs
//
// LogHandler is a slog.Handler whose records reach the host's logger
// (host.WithLogger) with their attributes and groups:
//
//	slog.SetDefault(slog.New(service.LogHandler(nil)))
//	slog.Info("scanned", "files", 9)
//	service.FlushLogs(ctx) // before exiting
//
// Logging never waits for the host: records are queued and sent in
// batches, and what a full queue drops is counted and reported. A host
// that takes no records gets them as JSON lines on stderr.
//
// # Health and orphans
//
// Ping asks the host whether it answers; Leave asks it to stop this plugin
// cleanly (the host closes its stream, so Serve returns, and a supervising
// host does not restart the plugin). A plugin that serves answers the
// host's pings itself, ahead of its calls.
//
// The default connection guards against orphans: once the host's end of
// the pipes has closed (the host is gone), a plugin still running
// OrphanGrace later exits with status 1, saying why on stderr.
// KeepRunningWithoutHost opts out; Client.ExitWithoutHost guards an
// explicit client.
//
// # Errors
//
// Failures reported by the host are *RemoteError values whose Is matches the
// sentinel of their code, so errors.Is(err, ErrUnknownService) works across
// the process boundary; a service's own error arrives with its message
// intact, matching ErrServiceError. When the host goes away, pending and
// later calls fail promptly with errors matching ErrClosed.
package service
