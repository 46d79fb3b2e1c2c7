// Command netrpc-plugin is the plugin of the netrpc system (go-plugin,
// net/rpc).
package main

import (
	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/gp"
)

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: gp.Handshake,
		Plugins:         gp.Plugins,
		Logger:          gp.Logger("netrpc-plugin"),
	})
}
