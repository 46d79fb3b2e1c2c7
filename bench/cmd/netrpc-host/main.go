// Command netrpc-host is the host of the netrpc system: hashicorp/go-plugin
// with its net/rpc (gob over yamux) transport. It starts the plugin, serves its own service
// on a broker id and calls the plugin's Run, during which the plugin calls
// the host (see package gp).
package main

import (
	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/gp"
)

func main() { gp.RunHost("netrpc-host", plugin.ProtocolNetRPC) }
