// Package gp holds the hashicorp/go-plugin systems, net/rpc and gRPC.
//
// go-plugin's own direction is the host calling the plugin. For the plugin
// calling the host (hostcall's direction) this package uses go-plugin's
// documented bidirectional pattern: the host calls the plugin's Run with a
// broker id, having served its own service on that id (MuxBroker for
// net/rpc, GRPCBroker for gRPC); the plugin dials the id and calls the host
// service for the whole measurement. Run's own round trip is not measured.
package gp

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

// Handshake is shared by host and plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "HOSTCALL_BENCH_PLUGIN",
	MagicCookieValue: "bench",
}

// Plugins is the plugin set of both systems: the protocol negotiated
// (AllowedProtocols) picks the net/rpc or the gRPC side.
var Plugins = plugin.PluginSet{"bench": &Bench{}}

// Runner is what the host dispenses: Run makes the plugin run the workload
// against the host.
type Runner interface {
	Run(p harness.Params) error
}

// RunArgs is the argument of the plugin's Run.
type RunArgs struct {
	BrokerID uint32
	Params   harness.Params
}

// Logger keeps go-plugin quiet but for errors: its warnings, about a
// net/rpc plugin that exits before answering Kill's Quit, are expected.
func Logger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Error, Output: os.Stderr})
}

// Bench is the plugin.Plugin and plugin.GRPCPlugin of both systems.
type Bench struct{}

var (
	_ plugin.Plugin     = (*Bench)(nil)
	_ plugin.GRPCPlugin = (*Bench)(nil)
)
