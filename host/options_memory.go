package host

import "github.com/hostcall/hostcall/internal/engine"

// DefaultMaxPendingBytes is the default of WithMaxPendingBytes: 64 MiB.
const DefaultMaxPendingBytes = engine.DefaultMaxPendingBytes

// WithMaxPendingBytes bounds the bytes of arguments and blobs, as they came
// over the wire, of one connection's calls that are running or waiting for
// a slot (default 64 MiB). When a call would take them over the bound, the
// host stops reading from that plugin until calls finish and make room:
// backpressure, as at the in-flight bound; the plugin's cancel frames
// behind that call are read only then. A single call over the bound (but
// within the frame limit) runs alone, once no other call holds any bytes.
//
// A running call also holds its decoded arguments: about as many bytes as
// their JSON for strings and typed values, many times that for dynamic
// types such as []any and map[string]any (see SECURITY.md).
func WithMaxPendingBytes(n int) ServeOption {
	return func(c *serveConfig) {
		if n > 0 {
			c.MaxPendingBytes = n
		}
	}
}
