package host_test

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// Serve on an in-memory pipe pair, writing the requests by hand as a plugin
// in any language would.
func ExampleServe() {
	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })

	reqR, reqW := io.Pipe()   // plugin -> host
	respR, respW := io.Pipe() // host -> plugin
	done := make(chan error)
	go func() { done <- host.Serve(context.Background(), reg, reqR, respW) }()

	responses := bufio.NewScanner(respR)
	for _, req := range []string{
		`{"sequence":1,"type":"call","namespace":"calc","name":"add","args":[1,2]}`,
		`{"sequence":2,"type":"listServices","namespace":"calc"}`,
		`{"sequence":3,"type":"call","namespace":"calc","name":"mul","args":[1,2]}`,
	} {
		fmt.Fprintln(reqW, req)
		responses.Scan()
		fmt.Println(responses.Text())
	}
	reqW.Close() // the plugin closes its stream: Serve returns nil
	fmt.Println("Serve:", <-done)
	// Output:
	// {"sequence":1,"reply":[3]}
	// {"sequence":2,"services":["add"]}
	// {"sequence":3,"error":"calc.mul: unknown service","code":"unknown_service"}
	// Serve: <nil>
}

// Give each plugin its own registry layer: every plugin reaches the shared
// namespaces, and only its own among the rest. A generator picks the
// options of each (plugin, command) run.
func ExampleBind_perPluginLayers() {
	shared := registry.New()
	shared.AddService("log", "info", func(msg string) {})

	plugins, err := pluginexec.DiscoverPlugins(context.Background(), "./plugins")
	if err != nil {
		fmt.Println(err)
		return
	}
	layers := map[*pluginexec.Plugin]*registry.Registry{}
	for _, p := range plugins {
		l := shared.Inherit()
		name := p.Name
		l.AddService("findings", "report", func(msg string) { fmt.Println(name, "reports", msg) })
		layers[p] = l
	}
	perPlugin := pluginexec.WithExecGenerator(func(p *pluginexec.Plugin, c *pluginexec.Command) pluginexec.ExecOption {
		return host.Bind(layers[p])
	})
	if err := pluginexec.Exec(context.Background(), plugins, nil, perPlugin,
		pluginexec.WithExecParallelism(4)); err != nil {
		fmt.Println(err)
	}
}
