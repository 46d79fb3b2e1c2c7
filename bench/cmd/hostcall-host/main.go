// Command hostcall-host is the host of the hostcall systems.
//
// --mode p2 and --mode p1 expose bench.add, bench.echo, bench.struct and
// bench.mark with host.Bind (the default transport: anonymous pipes reached
// through procfs) and run the plugin with pluginexec; the plugin calls
// them. p2 runs the plugin's "bench" command (protocol 2: hello, blobs); p1
// runs "bench-p1", whose client speaks protocol 1 only.
//
// --mode h2p is the other direction: host.Start runs the plugin's "serve"
// command, which serves the same services (service.Serve), and this host
// calls them through Running.GetService, measuring as a plugin does in the
// other modes, then stops the plugin and writes the result itself.
package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/hcbench"
)

func main() {
	var mode string
	p, plugin := harness.ParseHost(func(fs *pflag.FlagSet) {
		fs.StringVar(&mode, "mode", "p2", "p2 or p1 (the plugin calls, with that protocol), or h2p (the host calls the plugin)")
	})
	var err error
	if mode == "h2p" {
		err = runH2P(p, plugin)
	} else {
		err = run(p, plugin, mode)
	}
	if err != nil {
		harness.Fatal("hostcall-host", err)
	}
}

func run(p harness.Params, path, mode string) error {
	ctx := context.Background()
	plug, err := pluginexec.NewPlugin(ctx, path)
	if err != nil {
		return err
	}
	err = pluginexec.Exec(ctx, pluginexec.IterateTyped(plug, mode), p.PluginArgs(), host.Bind(hcbench.Registry()))
	if err != nil {
		return err
	}
	return harness.FinishHost(p)
}

// runH2P starts the plugin's serve command and calls it.
func runH2P(p harness.Params, path string) error {
	ctx := context.Background()
	plug, err := pluginexec.NewPlugin(ctx, path)
	if err != nil {
		return err
	}
	// The host serves nothing here: the plugin only answers.
	r, err := host.Start(ctx, plug, registry.New(), host.WithCommand("serve"))
	if err != nil {
		return err
	}
	res, err := measureH2P(p, r)
	if stopErr := r.Stop(ctx); err == nil && stopErr != nil {
		err = fmt.Errorf("stopping the plugin: %w", stopErr)
	}
	if err != nil {
		return err
	}
	res.HostHWMKiB = harness.PeakRSSKiB()
	return harness.WriteResult(p.Out, res)
}

// measureH2P runs the workload against the running plugin and asks it for
// its peak RSS. The host is the caller: its allocations are the Result's
// HostMallocs, the plugin's (bench.mark) its PluginMallocs.
func measureH2P(p harness.Params, r *host.Running) (*harness.Result, error) {
	var c hcbench.Caller
	if err := c.Bind(r.GetService); err != nil {
		return nil, err
	}
	var peak func() (int64, error)
	if err := r.GetService(hcbench.Namespace, "peak", &peak); err != nil {
		return nil, err
	}
	m, err := harness.Measure(p, &c)
	if err != nil {
		return nil, err
	}
	pluginHWM, err := peak()
	if err != nil {
		return nil, fmt.Errorf("peak: %w", err)
	}
	return &harness.Result{
		System: "hostcall-h2p", Workload: m.Workload, Ops: m.Ops, Seconds: m.Seconds,
		OpsPerSec:     float64(m.Ops) / m.Seconds,
		PluginHWMKiB:  pluginHWM,
		HostMallocs:   m.CallerMallocs,
		PluginMallocs: m.CalleeMallocs,
		Note:          fmt.Sprintf("protocol %d", r.Client().Protocol()),
	}, nil
}
