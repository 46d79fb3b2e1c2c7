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
//		service.GetService("calc", "add", &add)
//		sum, err := add(1, 2) // 3, computed by the host
//	}
//
// The host's func(A, B) C is consumed as func(A, B) (C, error), or as
// func(context.Context, A, B) (C, error) to cancel calls and bound them with
// deadlines: a canceled call returns at once, and a protocol 2 host cancels
// the service's own context. Consumer funcs are safe to call from many
// goroutines at once; calls are multiplexed over one connection.
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
// # Errors
//
// Failures reported by the host are *RemoteError values whose Is matches the
// sentinel of their code, so errors.Is(err, ErrUnknownService) works across
// the process boundary; a service's own error arrives with its message
// intact, matching ErrServiceError. When the host goes away, pending and
// later calls fail promptly with errors matching ErrClosed.
package service
