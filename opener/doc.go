// Package opener turns the URLs that a host passes to its plugins into open
// streams.
//
// A host starts a plugin with --host-file URL arguments (see PROTOCOL.md,
// section 1). The URL says where the plugin's end of the connection is, and
// its scheme says how to open it: a path on disk, a descriptor the plugin
// inherited, a socket. The plugin calls Open with the URL and the direction
// it wants, and gets an io.ReadWriteCloser without knowing which transport
// the host chose:
//
//	in, err := opener.Open("fd://3", os.O_RDONLY)   // host-to-plugin stream
//	out, err := opener.Open("fd://4", os.O_WRONLY)  // plugin-to-host stream
//
// # Built-in schemes
//
//   - file, as in file:///proc/4242/fd/7 or file:///run/hostcall/in: the
//     path, opened with os.OpenFile. This covers named pipes (FIFOs), procfs
//     links to a host's anonymous pipes and regular files. The host part
//     must be empty or "localhost". Open returns the *os.File.
//   - fd, as in fd://3: a descriptor the process inherited. Open moves it
//     to a new close-on-exec descriptor, so it does not leak into processes
//     the plugin starts, and returns an *os.File. A descriptor above 2 is
//     opened once per process; the standard streams 0, 1 and 2 stay usable.
//   - unix, as in unix:///run/hostcall.sock: a connected Unix stream socket,
//     read-write, so one URL carries both directions. Open returns the
//     *net.UnixConn.
//
// Because file and fd URLs yield an *os.File, callers can type-assert the
// stream to *os.File or syscall.Conn to reach the descriptor.
//
// Hosts build these URLs with FileURL, FDURL and UnixURL, which make paths
// absolute and escape them, so a path with spaces, '%' or non-ASCII
// characters survives the trip.
//
// # Adding a scheme
//
// A transport this package does not know (vsock, shared memory, a pipe to
// a sandbox) is one FileOpener away. Register it, before Open is called
// with such a URL, typically from an init function of the plugin or of a
// package it links:
//
//	func init() {
//		err := opener.Register("vsock", func(u *url.URL, flag int) (io.ReadWriteCloser, error) {
//			cid, err := strconv.ParseUint(u.Hostname(), 10, 32)
//			if err != nil {
//				return nil, fmt.Errorf("vsock URL needs a numeric CID: %w", err)
//			}
//			port, err := strconv.ParseUint(u.Port(), 10, 32)
//			if err != nil {
//				return nil, fmt.Errorf("vsock URL needs a numeric port: %w", err)
//			}
//			return dialVsock(uint32(cid), uint32(port))
//		})
//		if err != nil {
//			panic(err)
//		}
//	}
//
// The host then passes vsock://3:1024 and the plugin's Open reaches the
// dialer. Scheme names are case-insensitive; registering one twice is an
// error wrapping ErrDuplicateScheme, and opening a URL whose scheme nobody
// registered is an error wrapping ErrUnknownScheme. Errors from a
// FileOpener come back from Open wrapped with the URL, so a FileOpener need
// not repeat it.
package opener
