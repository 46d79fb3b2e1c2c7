// Command netrpc-host is the host of the netrpc system: hashicorp/go-plugin
// with its net/rpc (gob over yamux) transport. It starts the plugin, serves its own service
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
		harness.Fatal("netrpc-host", err)
	}
}

func run(p harness.Params, path string) error {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  gp.Handshake,
		Plugins:          gp.Plugins,
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		Logger:           gp.Logger("netrpc-host"),
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
