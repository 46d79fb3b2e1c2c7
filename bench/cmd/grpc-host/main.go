// Command grpc-host is the host of the grpc system: hashicorp/go-plugin
// with its gRPC transport. It starts the plugin, serves its own service
// on a broker id and calls the plugin's Run, during which the plugin calls
// the host (see package gp).
package main

import (
	"os/exec"

	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/gp"
	"github.com/hostcall/hostcall/bench/internal/harness"
)

func main() {
	p, path := harness.ParseHost(nil)
	if err := run(p, path); err != nil {
		harness.Fatal("grpc-host", err)
	}
}

func run(p harness.Params, path string) error {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  gp.Handshake,
		Plugins:          gp.Plugins,
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           gp.Logger("grpc-host"),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		return err
	}
	raw, err := rpc.Dispense("bench")
	if err != nil {
		return err
	}
	pp := p
	pp.Out = p.PluginOut()
	if err := raw.(gp.Runner).Run(pp); err != nil {
		return err
	}
	client.Kill()
	return harness.FinishHost(p)
}
