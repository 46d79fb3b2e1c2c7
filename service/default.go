package service

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/hostcall/hostcall/internal/fdpipe"
	"github.com/hostcall/hostcall/opener"
)

// std is the package-level convenience API's state: the default client and
// the URLs it connects to. Everything else in this package works on an
// explicit *Client.
var std struct {
	dialing    sync.Mutex // held by InitServiceClient: one dial at a time
	mu         sync.Mutex
	flagsAdded bool
	urls       []string
	client     *Client
	logs       *logSink // LogHandler's
	// keepRunning: KeepRunningWithoutHost was called.
	keepRunning bool
}

// hostURLs returns the URLs from the flags, or from os.Args when the flags
// were not added.
func hostURLs() []string {
	std.mu.Lock()
	defer std.mu.Unlock()
	if std.flagsAdded {
		return append([]string(nil), std.urls...)
	}
	return HostURLsFromArgs(os.Args[1:])
}

// Hosted reports whether the plugin was started by a host, that is with
// --host-file (or --host).
func Hosted() bool { return len(hostURLs()) > 0 }

// HostURLs returns the URLs the host passed with --host-file (or --host),
// in order: for building a client with options of its own through Dial.
func HostURLs() []string { return hostURLs() }

// InitServiceClient connects the default client to the host named by
// --host-file. A plugin that is not hosted gets a client on which every call
// fails with ErrNotHosted, and InitServiceClient returns nil: the plugin
// still runs. Calling it again returns nil and changes nothing. The
// package-level functions call it themselves when it has not been called.
func InitServiceClient(ctx context.Context) error {
	// Two clients dialed at once would both open the host's streams, and
	// the one closed would have said hello and read on them.
	std.dialing.Lock()
	defer std.dialing.Unlock()
	std.mu.Lock()
	if std.client != nil {
		std.mu.Unlock()
		return nil
	}
	std.mu.Unlock()
	c, err := Dial(ctx, hostURLs())
	if err != nil {
		return err
	}
	std.mu.Lock()
	defer std.mu.Unlock()
	if std.client != nil {
		c.Close()
		return nil
	}
	std.client = c
	if !std.keepRunning {
		c.ExitWithoutHost(OrphanGrace) // an error: nothing to watch (not hosted, not descriptors)
	}
	return nil
}

// Dial opens the host URLs (one, opened read-write, or two: input then
// output) and returns a client on them. With no URL it returns a client on
// which every call fails with ErrNotHosted.
func Dial(ctx context.Context, urls []string, opts ...ClientOption) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch len(urls) {
	case 0:
		return newFailedClient(ErrNotHosted), nil
	case 1:
		rw, err := opener.Open(urls[0], os.O_RDWR)
		if err != nil {
			return nil, fmt.Errorf("service: connecting to the host: %w", err)
		}
		rw = adopt(rw)
		return NewClient(rw, rw, opts...), nil
	case 2:
		in, err := opener.Open(urls[0], os.O_RDONLY)
		if err != nil {
			return nil, fmt.Errorf("service: connecting to the host: %w", err)
		}
		out, err := opener.Open(urls[1], os.O_WRONLY)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("service: connecting to the host: %w", err)
		}
		return NewClient(adopt(in), adopt(out), opts...), nil
	}
	return nil, fmt.Errorf("service: %d host URLs %q: want one (read-write) or two (input, output)", len(urls), urls)
}

// adopt takes a pipe or FIFO that Dial opened out of the runtime's
// netpoller (see internal/fdpipe): the host's replies then wake the
// waiting caller's thread directly.
func adopt(rw io.ReadWriteCloser) io.ReadWriteCloser {
	if f, ok := rw.(*os.File); ok {
		return fdpipe.Adopt(f)
	}
	return rw
}

// Default returns the default client, connecting it first if needed. When
// connecting fails, the returned client fails every call with that error.
func Default() *Client {
	std.mu.Lock()
	c := std.client
	std.mu.Unlock()
	if c != nil {
		return c
	}
	if err := InitServiceClient(context.Background()); err != nil {
		std.mu.Lock()
		defer std.mu.Unlock()
		if std.client == nil {
			std.client = newFailedClient(err)
		}
		return std.client
	}
	std.mu.Lock()
	defer std.mu.Unlock()
	return std.client
}

// GetService fills *fnPtr with a func that calls service ns.name through
// the default client; see Client.GetService.
func GetService(ns, name string, fnPtr any) error {
	return bindStub(Default, ns, name, fnPtr)
}

// GetManifest decodes the manifest of namespace ns into v through the
// default client.
func GetManifest(ns string, v any) error {
	return Default().GetManifest(context.Background(), ns, v)
}

// ListServices returns the sorted service names of namespace ns through the
// default client.
func ListServices(ns string) ([]string, error) {
	return Default().ListServices(context.Background(), ns)
}

// HasNamespace reports through the default client whether the host defines
// namespace ns.
func HasNamespace(ns string) (bool, error) {
	return Default().HasNamespace(context.Background(), ns)
}

// RegisterFileOpener registers a FileOpener for a URL scheme; it forwards to
// opener.Register.
func RegisterFileOpener(scheme string, f opener.FileOpener) error {
	return opener.Register(scheme, f)
}
