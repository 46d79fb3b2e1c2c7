// Command host is the host of the README: it exposes calc.add and runs
// every plugin it finds in the directory given as its argument.
package main

import (
	"context"
	"log"
	"os"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

func main() {
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })

	if len(os.Args) != 2 {
		log.Fatal("usage: host PLUGIN-DIR")
	}
	ctx := context.Background()
	plugins, err := pluginexec.DiscoverPlugins(ctx, os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	err = pluginexec.Exec(ctx, plugins, nil, host.Bind(reg),
		pluginexec.WithExecParallelism(4))
	if err != nil {
		log.Fatal(err) // names each plugin that failed, with its stderr tail
	}
}
