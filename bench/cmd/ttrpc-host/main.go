// Command ttrpc-host is the host of the ttrpc system: containerd/ttrpc
// over a Unix socket pair whose other end the plugin inherits as
// descriptor 3. The host serves hostcall.bench.Host (hand-written
// ttrpc.ServiceDesc, protobuf messages, the server streams Ints and Bytes
// of ttrpc 1.2); the plugin is the client.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/pb"
	"github.com/hostcall/hostcall/bench/internal/protocall"
)

func main() {
	p, path := harness.ParseHost(nil)
	if err := run(p, path); err != nil {
		harness.Fatal("ttrpc-host", err)
	}
}

func run(p harness.Params, path string) error {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	hostEnd := os.NewFile(uintptr(fds[0]), "host")
	pluginEnd := os.NewFile(uintptr(fds[1]), "plugin")
	conn, err := net.FileConn(hostEnd)
	hostEnd.Close()
	if err != nil {
		return err
	}

	s, err := ttrpc.NewServer()
	if err != nil {
		return err
	}
	s.RegisterService("hostcall.bench.Host", &ttrpc.ServiceDesc{Methods: map[string]ttrpc.Method{
		"Add": func(_ context.Context, unmarshal func(any) error) (any, error) {
			var in pb.AddRequest
			if err := unmarshal(&in); err != nil {
				return nil, err
			}
			return wrapperspb.Int64(in.A + in.B), nil
		},
		"Echo": func(_ context.Context, unmarshal func(any) error) (any, error) {
			var in wrapperspb.BytesValue
			if err := unmarshal(&in); err != nil {
				return nil, err
			}
			return &in, nil
		},
		"Struct": func(_ context.Context, unmarshal func(any) error) (any, error) {
			var in pb.Record
			if err := unmarshal(&in); err != nil {
				return nil, err
			}
			return &in, nil
		},
		"Mark": func(_ context.Context, unmarshal func(any) error) (any, error) {
			var in emptypb.Empty
			if err := unmarshal(&in); err != nil {
				return nil, err
			}
			return wrapperspb.UInt64(harness.HostMallocs()), nil
		},
	}, Streams: map[string]ttrpc.Stream{
		"Ints":  serverStream(protocall.SendInts),
		"Bytes": serverStream(protocall.SendBytes),
	}})
	l := newOneConn(conn)
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), l) }()

	cmd := exec.Command(path, p.PluginArgs()...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{pluginEnd}
	if err := cmd.Start(); err != nil {
		return err
	}
	pluginEnd.Close()
	runErr := cmd.Wait()
	s.Close()
	if err := <-served; err != nil && !errors.Is(err, ttrpc.ErrServerClosed) {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("plugin: %w", runErr)
	}
	return harness.FinishHost(p)
}

// serverStream is a server-streaming method whose request is an
// Int64Value (n).
func serverStream(send func(n int64, send func(any) error) error) ttrpc.Stream {
	return ttrpc.Stream{
		StreamingServer: true,
		Handler: func(_ context.Context, ss ttrpc.StreamServer) (any, error) {
			var in wrapperspb.Int64Value
			if err := ss.RecvMsg(&in); err != nil {
				return nil, err
			}
			return nil, send(in.Value, ss.SendMsg)
		},
	}
}

// oneConn is a net.Listener that accepts conn once, then blocks until it
// is closed.
type oneConn struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
	addr   net.Addr
}

func newOneConn(c net.Conn) *oneConn {
	l := &oneConn{conns: make(chan net.Conn, 1), closed: make(chan struct{}), addr: c.LocalAddr()}
	l.conns <- c
	return l
}

func (l *oneConn) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *oneConn) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConn) Addr() net.Addr { return l.addr }
