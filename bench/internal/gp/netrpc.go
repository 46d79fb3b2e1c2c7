package gp

import (
	"errors"
	"fmt"
	"net/rpc"

	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

// Server implements plugin.Plugin: the plugin's net/rpc side.
func (*Bench) Server(b *plugin.MuxBroker) (any, error) { return &RPCPlugin{broker: b}, nil }

// Client implements plugin.Plugin: the host's net/rpc side.
func (*Bench) Client(b *plugin.MuxBroker, c *rpc.Client) (any, error) {
	return &rpcRunner{broker: b, client: c}, nil
}

// rpcRunner is the host's handle on the plugin.
type rpcRunner struct {
	broker *plugin.MuxBroker
	client *rpc.Client
}

func (r *rpcRunner) Run(p harness.Params) error {
	id := r.broker.NextId()
	go r.broker.AcceptAndServe(id, &RPCHost{})
	var reply string
	if err := r.client.Call("Plugin.Run", RunArgs{BrokerID: id, Params: p}, &reply); err != nil {
		return err
	}
	if reply != "" {
		return errors.New(reply)
	}
	return nil
}

// AddArgs is the argument of RPCHost.Add.
type AddArgs struct{ A, B int64 }

// RPCHost is the service the host serves to the plugin over the broker.
type RPCHost struct{}

// Add adds.
func (*RPCHost) Add(args AddArgs, sum *int64) error { *sum = args.A + args.B; return nil }

// Echo returns its argument.
func (*RPCHost) Echo(b []byte, out *[]byte) error { *out = b; return nil }

// Struct returns its argument.
func (*RPCHost) Struct(r harness.Record, out *harness.Record) error { *out = r; return nil }

// Mark returns the host's allocation count.
func (*RPCHost) Mark(_ int, n *uint64) error { *n = harness.HostMallocs(); return nil }

// RPCPlugin is the plugin's net/rpc server: the host calls Run.
type RPCPlugin struct{ broker *plugin.MuxBroker }

// Run runs the workload against the host service served on args.BrokerID.
// A failure of the workload is returned in reply.
func (s *RPCPlugin) Run(args RunArgs, reply *string) error {
	conn, err := s.broker.Dial(args.BrokerID)
	if err != nil {
		return err
	}
	c := &rpcCaller{c: rpc.NewClient(conn), sent: harness.NewRecord()}
	defer c.c.Close()
	if err := harness.RunPlugin("netrpc", args.Params, c, nil); err != nil {
		*reply = err.Error()
	}
	return nil
}

type rpcCaller struct {
	c    *rpc.Client
	sent harness.Record
}

func (c *rpcCaller) Add(a, b int64) (int64, error) {
	var sum int64
	err := c.c.Call("Plugin.Add", AddArgs{a, b}, &sum)
	return sum, err
}

func (c *rpcCaller) Echo(b []byte) ([]byte, error) {
	var out []byte
	err := c.c.Call("Plugin.Echo", b, &out)
	return out, err
}

func (c *rpcCaller) Struct(id int64) error {
	c.sent.ID = id
	var got harness.Record
	if err := c.c.Call("Plugin.Struct", c.sent, &got); err != nil {
		return err
	}
	if !got.Equal(&c.sent) {
		return fmt.Errorf("reply differs from the record sent")
	}
	return nil
}

func (c *rpcCaller) Mark() (uint64, error) {
	var n uint64
	err := c.c.Call("Plugin.Mark", 0, &n)
	return n, err
}

// Ints: net/rpc has no streams. (go-plugin's MuxBroker could carry raw
// bytes over a yamux stream of their own, but that is not an RPC stream.)
func (c *rpcCaller) Ints(int64) error { return harness.ErrNoStreams }

// Bytes: net/rpc has no streams.
func (c *rpcCaller) Bytes(int64) error { return harness.ErrNoStreams }
