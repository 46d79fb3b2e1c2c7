// Package protocall is the plugin side shared by the protobuf systems
// (gRPC and ttrpc).
package protocall

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/pb"
)

// ProtoCaller is the plugin side of the protobuf systems (gRPC and
// ttrpc): invoke makes one unary call of prefix+method.
type ProtoCaller struct {
	invoke func(ctx context.Context, method string, req, resp any) error
	add    string
	echo   string
	rec    string
	mark   string
	sent   *pb.Record
}

// New returns a ProtoCaller whose methods are prefix+"Add", ...
func New(invoke func(ctx context.Context, method string, req, resp any) error, prefix string) *ProtoCaller {
	return &ProtoCaller{
		invoke: invoke,
		add:    prefix + "Add", echo: prefix + "Echo", rec: prefix + "Struct", mark: prefix + "Mark",
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
