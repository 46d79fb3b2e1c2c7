// Command hostcall-plugin is the plugin of the hostcall systems. Its
// "bench" command calls the host the way the README shows (AddHostFlags,
// service.GetService on the default client, protocol 2); "bench-p1" dials
// the same --host-file URLs with service.WithProtocol1 (no hello, so no
// blobs: byte slices travel as base64). Its "serve" command is the callee
// of hostcall-h2p: it serves the bench services with service.Serve, plus
// bench.peak (its peak RSS), until the host closes the connection.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/hcbench"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "hostcall-bench", Version: "1.0.0",
		Commands: []pluginexec.Command{
			{Path: []string{"bench"}, Type: "p2"},
			{Path: []string{"bench-p1"}, Type: "p1"},
			{Path: []string{"serve"}, Type: "h2p"},
		}})
	if len(os.Args) < 2 {
		harness.Fatal("hostcall-plugin", fmt.Errorf("usage: hostcall-plugin bench|bench-p1|serve --host-file URL..."))
	}
	if os.Args[1] == "serve" {
		reg := hcbench.Registry()
		reg.AddService(hcbench.Namespace, "peak", harness.PeakRSSKiB)
		if err := service.Serve(context.Background(), reg); err != nil {
			harness.Fatal("hostcall-plugin", err)
		}
		return
	}
	var p harness.Params
	fs := pflag.NewFlagSet("hostcall-plugin", pflag.ExitOnError)
	p.AddFlags(fs)
	var c hcbench.Caller
	var client *service.Client
	var err error
	switch os.Args[1] {
	case "bench":
		service.AddHostFlags(fs)
		fs.Parse(os.Args[2:])
		err = c.Bind(service.GetService)
		client = service.Default()
	case "bench-p1":
		// The URLs that AddHostFlags would record are not readable
		// back, so this command parses --host-file itself.
		urls := fs.StringArray(service.HostFileFlag, nil, "URL of the pipes to the host")
		fs.Parse(os.Args[2:])
		client, err = service.Dial(context.Background(), *urls, service.WithProtocol1())
		if err == nil {
			err = c.Bind(client.GetService)
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err == nil {
		err = harness.RunPlugin("hostcall", p, &c, func() string {
			return fmt.Sprintf("protocol %d", client.Protocol())
		})
	}
	if err != nil {
		harness.Fatal("hostcall-plugin", err)
	}
}
