package host_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

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

// A service learns which plugin run called it: the plugin, the command and
// the process id. Here the plugin is this test binary, whose "add" command
// calls calc.add(20, 22).
func ExampleCallerFromContext() {
	reg := registry.New()
	reg.AddService("calc", "add", func(ctx context.Context, a, b int) int {
		if c, ok := host.CallerFromContext(ctx); ok {
			fmt.Printf("%s %v (pid known: %v) adds %d and %d\n", c.Plugin.Name, c.Command.Path, c.PID > 0, a, b)
		}
		return a + b
	})
	plug, err := exampleTestPlugin()
	if err != nil {
		fmt.Println(err)
		return
	}
	err = pluginexec.Exec(context.Background(), pluginexec.IterateTyped(plug, "add"), nil, host.Bind(reg),
		pluginexec.WithEnv(pluginEnv+"=1"), pluginexec.WithStdout(io.Discard))
	fmt.Println("Exec:", err)
	// Output:
	// hosttest [add] (pid known: true) adds 20 and 22
	// Exec: <nil>
}

// exampleTestPlugin describes this test binary as a plugin (see
// pluginMain).
func exampleTestPlugin() (*pluginexec.Plugin, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return pluginexec.NewPlugin(context.Background(), exe, pluginexec.WithEnv(pluginEnv+"=1"))
}

// Send what the plugins log (their slog records, their stderr lines, their
// crashes) to the host's logger, each record with the plugin's name,
// command and process id.
func ExampleWithLogger() {
	reg := registry.New()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))

	ctx := context.Background()
	plugins, err := pluginexec.DiscoverPlugins(ctx, "./plugins")
	if err != nil {
		logger.Error("discovery", "err", err)
		return
	}
	if err := pluginexec.Exec(ctx, plugins, nil, host.Bind(reg, host.WithLogger(logger))); err != nil {
		logger.Error("plugins failed", "err", err) // with each one's stderr tail: a panic's message and stack
	}
}
