// Command grpc-plugin is the plugin of the grpc system (go-plugin, gRPC).
package main

import (
	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/gp"
)

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: gp.Handshake,
		Plugins:         gp.Plugins,
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          gp.Logger("grpc-plugin"),
	})
}
