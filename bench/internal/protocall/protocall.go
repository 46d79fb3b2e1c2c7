// Package protocall is the plugin side shared by the protobuf systems
// (gRPC and ttrpc), and the server side of their streams.
package protocall

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/pb"
)

// ProtoCaller is the plugin side of the protobuf systems (gRPC and
// ttrpc): invoke makes one unary call of prefix+method, open starts a
// server-streaming call.
type ProtoCaller struct {
	invoke func(ctx context.Context, method string, req, resp any) error
	open   Opener
	add    string
	echo   string
	rec    string
	mark   string
	ints   string
	bytes  string
	sent   *pb.Record
}

// Opener starts the server-streaming call method with its one request,
// and returns the stream of its responses.
type Opener func(ctx context.Context, method string, req any) (Receiver, error)

// Receiver is the receiving side of a stream: RecvMsg fills m with the
// next message, or returns io.EOF at the end. grpc.ClientStream and
// ttrpc.ClientStream are Receivers.
type Receiver interface {
	RecvMsg(m any) error
}

// New returns a ProtoCaller whose methods are prefix+"Add", ...; the
// streams are prefix+"Ints" and prefix+"Bytes".
func New(invoke func(ctx context.Context, method string, req, resp any) error, open Opener, prefix string) *ProtoCaller {
	return &ProtoCaller{
		invoke: invoke, open: open,
		add: prefix + "Add", echo: prefix + "Echo", rec: prefix + "Struct", mark: prefix + "Mark",
		ints: prefix + "Ints", bytes: prefix + "Bytes",
		sent: pb.FromRecord(harness.NewRecord()),
	}
}

// Add implements harness.Caller.
func (c *ProtoCaller) Add(a, b int64) (int64, error) {
	var out wrapperspb.Int64Value
	err := c.invoke(context.Background(), c.add, &pb.AddRequest{A: a, B: b}, &out)
	return out.Value, err
}

// Echo implements harness.Caller.
func (c *ProtoCaller) Echo(b []byte) ([]byte, error) {
	var out wrapperspb.BytesValue
	err := c.invoke(context.Background(), c.echo, wrapperspb.Bytes(b), &out)
	return out.Value, err
}

// Struct implements harness.Caller.
func (c *ProtoCaller) Struct(id int64) error {
	c.sent.Id = id
	var got pb.Record
	if err := c.invoke(context.Background(), c.rec, c.sent, &got); err != nil {
		return err
	}
	if !pb.Equal(&got, c.sent) {
		return fmt.Errorf("reply differs from the record sent")
	}
	return nil
}

// Mark implements harness.Caller.
func (c *ProtoCaller) Mark() (uint64, error) {
	var out wrapperspb.UInt64Value
	err := c.invoke(context.Background(), c.mark, &emptypb.Empty{}, &out)
	return out.Value, err
}

// Ints implements harness.Caller: the server-streaming call Ints, one
// Int64Value per item.
func (c *ProtoCaller) Ints(n int64) error {
	s, err := c.open(context.Background(), c.ints, wrapperspb.Int64(n))
	if err != nil {
		return err
	}
	var check harness.IntChecker
	var m wrapperspb.Int64Value
	for {
		err := s.RecvMsg(&m)
		if errors.Is(err, io.EOF) {
			return check.End(n)
		}
		if err != nil {
			return err
		}
		if err := check.Item(m.Value); err != nil {
			return err
		}
	}
}

// Bytes implements harness.Caller: the server-streaming call Bytes, one
// BytesValue of harness.StreamChunk bytes per message.
func (c *ProtoCaller) Bytes(n int64) error {
	s, err := c.open(context.Background(), c.bytes, wrapperspb.Int64(n))
	if err != nil {
		return err
	}
	var off int64
	var m wrapperspb.BytesValue
	for {
		err := s.RecvMsg(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if off+int64(len(m.Value)) > n {
			return fmt.Errorf("more than the %d bytes asked for", n)
		}
		if err := harness.CheckPattern(m.Value, off); err != nil {
			return err
		}
		off += int64(len(m.Value))
	}
	if off != n {
		return fmt.Errorf("%d bytes, want %d", off, n)
	}
	return nil
}

// SendInts is the server side of Ints: send is the stream's SendMsg.
func SendInts(n int64, send func(m any) error) error {
	for i := range n {
		if err := send(wrapperspb.Int64(i)); err != nil {
			return err
		}
	}
	return nil
}

// SendBytes is the server side of Bytes.
func SendBytes(n int64, send func(m any) error) error {
	for off := int64(0); off < n; off += harness.StreamChunk {
		k := int(min(harness.StreamChunk, n-off))
		if err := send(wrapperspb.Bytes(harness.Pattern(off, k))); err != nil {
			return err
		}
	}
	return nil
}
