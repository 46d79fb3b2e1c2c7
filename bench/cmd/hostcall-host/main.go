// Command hostcall-host is the host of the hostcall systems: it exposes
// bench.add, bench.echo, bench.struct and bench.mark with host.Bind (the
// default transport: anonymous pipes reached through procfs) and runs the
// plugin with pluginexec.
//
// --mode p2 runs the plugin's "bench" command (protocol 2: hello, blobs);
// --mode p1 runs "bench-p1", whose client speaks protocol 1 only.
package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

func main() {
	var mode string
	p, plugin := harness.ParseHost(func(fs *pflag.FlagSet) {
		fs.StringVar(&mode, "mode", "p2", "protocol of the plugin's client: p2 or p1")
	})
	if err := run(p, plugin, mode); err != nil {
		harness.Fatal("hostcall-host", err)
	}
}

func run(p harness.Params, path, mode string) error {
	reg := registry.New()
	reg.AddService("bench", "add", func(a, b int) int { return a + b })
	reg.AddService("bench", "echo", harness.Echo)
	reg.AddService("bench", "struct", harness.EchoRecord)
	reg.AddService("bench", "mark", harness.HostMallocs)

	ctx := context.Background()
	plug, err := pluginexec.NewPlugin(ctx, path)
	if err != nil {
		return err
	}
	err = pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, mode), p.PluginArgs(), host.Bind(reg))
	if err != nil {
		return err
	}
	return harness.FinishHost(p)
}
