package gp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/pb"
	"github.com/hostcall/hostcall/bench/internal/protocall"
)

// Service and method names: hand-written descriptors, as protoc would
// generate them for
//
//	service Host {
//	  rpc Add(AddRequest) returns (google.protobuf.Int64Value);
//	  rpc Echo(google.protobuf.BytesValue) returns (google.protobuf.BytesValue);
//	  rpc Struct(Record) returns (Record);
//	  rpc Mark(google.protobuf.Empty) returns (google.protobuf.UInt64Value);
//	  rpc Ints(google.protobuf.Int64Value) returns (stream google.protobuf.Int64Value);
//	  rpc Bytes(google.protobuf.Int64Value) returns (stream google.protobuf.BytesValue);
//	}
//	service Plugin { rpc Run(google.protobuf.StringValue) returns (google.protobuf.StringValue); }
const (
	HostService   = "hostcall.bench.Host"
	PluginService = "hostcall.bench.Plugin"
)

// GRPCServer implements plugin.GRPCPlugin: the plugin's gRPC side.
func (*Bench) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&pluginDesc, &grpcPlugin{broker: b})
	return nil
}

// GRPCClient implements plugin.GRPCPlugin: the host's gRPC side.
func (*Bench) GRPCClient(_ context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcRunner{broker: b, conn: c}, nil
}

// grpcRunner is the host's handle on the plugin.
type grpcRunner struct {
	broker *plugin.GRPCBroker
	conn   *grpc.ClientConn
}

func (r *grpcRunner) Run(p harness.Params) error {
	id := r.broker.NextId()
	var mu sync.Mutex
	var s *grpc.Server
	go r.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		mu.Lock()
		defer mu.Unlock()
		s = grpc.NewServer(opts...)
		s.RegisterService(&HostDesc, grpcHostImpl{})
		return s
	})
	args, err := json.Marshal(RunArgs{BrokerID: id, Params: p})
	if err != nil {
		return err
	}
	var reply wrapperspb.StringValue
	err = r.conn.Invoke(context.Background(), "/"+PluginService+"/Run", wrapperspb.String(string(args)), &reply)
	mu.Lock()
	if s != nil {
		s.Stop()
	}
	mu.Unlock()
	if err != nil {
		return err
	}
	if reply.Value != "" {
		return errors.New(reply.Value)
	}
	return nil
}

// grpcHost is the HandlerType of HostDesc.
type grpcHost interface{ isGRPCHost() }

type grpcHostImpl struct{}

func (grpcHostImpl) isGRPCHost() {}

// HostDesc is the host's service, served to the plugin over the broker.
var HostDesc = grpc.ServiceDesc{
	ServiceName: HostService,
	HandlerType: (*grpcHost)(nil),
	Methods: []grpc.MethodDesc{
		unary(HostService, "Add", func(_ context.Context, in *pb.AddRequest) (proto.Message, error) {
			return wrapperspb.Int64(in.A + in.B), nil
		}),
		unary(HostService, "Echo", func(_ context.Context, in *wrapperspb.BytesValue) (proto.Message, error) {
			return in, nil
		}),
		unary(HostService, "Struct", func(_ context.Context, in *pb.Record) (proto.Message, error) {
			return in, nil
		}),
		unary(HostService, "Mark", func(_ context.Context, _ *emptypb.Empty) (proto.Message, error) {
			return wrapperspb.UInt64(harness.HostMallocs()), nil
		}),
	},
	Streams: []grpc.StreamDesc{
		serverStream("Ints", protocall.SendInts),
		serverStream("Bytes", protocall.SendBytes),
	},
	Metadata: "hostcall/bench/bench.proto",
}

// serverStream is the handler protoc-gen-go-grpc would write for a
// server-streaming method whose request is an Int64Value (n).
func serverStream(name string, send func(n int64, send func(any) error) error) grpc.StreamDesc {
	return grpc.StreamDesc{
		StreamName:    name,
		ServerStreams: true,
		Handler: func(_ any, stream grpc.ServerStream) error {
			var in wrapperspb.Int64Value
			if err := stream.RecvMsg(&in); err != nil {
				return err
			}
			return send(in.Value, stream.SendMsg)
		},
	}
}

// openStream starts the server-streaming method of HostDesc on conn.
func openStream(conn *grpc.ClientConn) protocall.Opener {
	return func(ctx context.Context, method string, req any) (protocall.Receiver, error) {
		name := strings.TrimPrefix(method, "/"+HostService+"/")
		i := slices.IndexFunc(HostDesc.Streams, func(d grpc.StreamDesc) bool { return d.StreamName == name })
		if i < 0 {
			return nil, fmt.Errorf("no stream %s", method)
		}
		s, err := conn.NewStream(ctx, &HostDesc.Streams[i], method)
		if err != nil {
			return nil, err
		}
		if err := s.SendMsg(req); err != nil {
			return nil, err
		}
		return s, s.CloseSend()
	}
}

// unary is the method handler protoc-gen-go-grpc would write.
func unary[Req any](service, name string, h func(context.Context, *Req) (proto.Message, error)) grpc.MethodDesc {
	full := "/" + service + "/" + name
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(Req)
			if err := dec(in); err != nil {
				return nil, err
			}
			if icpt == nil {
				return h(ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: full}
			return icpt(ctx, in, info, func(ctx context.Context, req any) (any, error) {
				return h(ctx, req.(*Req))
			})
		},
	}
}

// grpcPluginServer is the HandlerType of pluginDesc.
type grpcPluginServer interface {
	run(ctx context.Context, in *wrapperspb.StringValue) (proto.Message, error)
}

var pluginDesc = grpc.ServiceDesc{
	ServiceName: PluginService,
	HandlerType: (*grpcPluginServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Run",
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			if icpt == nil {
				return srv.(grpcPluginServer).run(ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + PluginService + "/Run"}
			return icpt(ctx, in, info, func(ctx context.Context, req any) (any, error) {
				return srv.(grpcPluginServer).run(ctx, req.(*wrapperspb.StringValue))
			})
		},
	}},
	Metadata: "hostcall/bench/bench.proto",
}

// grpcPlugin is the plugin's gRPC server: the host calls Run.
type grpcPlugin struct{ broker *plugin.GRPCBroker }

func (s *grpcPlugin) run(_ context.Context, in *wrapperspb.StringValue) (proto.Message, error) {
	var args RunArgs
	if err := json.Unmarshal([]byte(in.Value), &args); err != nil {
		return nil, err
	}
	conn, err := s.broker.Dial(args.BrokerID)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c := protocall.New(func(ctx context.Context, method string, req, resp any) error {
		return conn.Invoke(ctx, method, req, resp)
	}, openStream(conn), "/"+HostService+"/")
	reply := ""
	if err := harness.RunPlugin("grpc", args.Params, c, nil); err != nil {
		reply = err.Error()
	}
	return wrapperspb.String(reply), nil
}
