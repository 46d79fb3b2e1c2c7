// Command grpc-host is the host of the grpc system: hashicorp/go-plugin
// with its gRPC transport. It starts the plugin, serves its own service
// on a broker id and calls the plugin's Run, during which the plugin calls
// the host (see package gp).
package main

import (
	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/gp"
)

func main() { gp.RunHost("grpc-host", plugin.ProtocolGRPC) }
