package gp

import (
	"os/exec"

	"github.com/hashicorp/go-plugin"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

// RunHost is the main of a go-plugin host command: it starts the plugin
// with the given transport, dispenses it and calls its Run, during which
// the plugin calls the host's service through the broker.
func RunHost(name string, protocol plugin.Protocol) {
	p, path := harness.ParseHost(nil)
	if err := runHost(name, protocol, p, path); err != nil {
		harness.Fatal(name, err)
	}
}

func runHost(name string, protocol plugin.Protocol, p harness.Params, path string) error {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          Plugins,
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{protocol},
		Logger:           Logger(name),
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
	if err := raw.(Runner).Run(pp); err != nil {
		return err
	}
	client.Kill()
	return harness.FinishHost(p)
}
