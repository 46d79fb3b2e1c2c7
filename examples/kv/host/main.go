// Command host is the kv host: it starts the kv plugin named by $KV_PLUGIN,
// serves it helper.sum, and puts or gets one key:
//
//	host put KEY VALUE   adds VALUE to KEY's counter
//	host get KEY         prints KEY's counter
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"

	"github.com/hostcall/hostcall/examples/kv/kvapi"
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

const usage = "usage: KV_PLUGIN=path/to/plugin host put KEY VALUE | get KEY"

func main() {
	log.SetFlags(0)
	log.SetPrefix("kv: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv("KV_PLUGIN"), os.Args[1:], os.Stdout); err != nil {
		stop()
		log.Fatal(err)
	}
}

// command is one put or get of the command line.
type command struct {
	op, key string
	value   int64
}

func parse(args []string) (command, error) {
	switch {
	case len(args) == 3 && args[0] == "put":
		v, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil {
			return command{}, fmt.Errorf("put %s: %w", args[1], err)
		}
		return command{op: "put", key: args[1], value: v}, nil
	case len(args) == 2 && args[0] == "get":
		return command{op: "get", key: args[1]}, nil
	}
	return command{}, errors.New(usage)
}

// run starts the plugin, runs the command and stops the plugin.
func run(ctx context.Context, pluginPath string, args []string, stdout io.Writer) (err error) {
	cmd, err := parse(args)
	if err != nil {
		return err
	}
	if pluginPath == "" {
		return errors.New("KV_PLUGIN is not set: " + usage)
	}
	plug, err := pluginexec.NewPlugin(ctx, pluginPath)
	if err != nil {
		return err
	}
	reg := registry.New()
	reg.AddService(kvapi.HelperNamespace, "sum", sum)
	p, err := host.Start(ctx, plug, reg, host.WithCommand("serve"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, p.Stop(ctx)) }()

	if cmd.op == "put" {
		var put kvapi.Put
		if err := p.GetService(kvapi.Namespace, "put", &put); err != nil {
			return err
		}
		return put(ctx, cmd.key, cmd.value)
	}
	var get kvapi.Get
	if err := p.GetService(kvapi.Namespace, "get", &get); err != nil {
		return err
	}
	v, err := get(ctx, cmd.key)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, v)
	return err
}

// sum is helper.sum: the plugin has the host add, as go-plugin's example
// has its AddHelper, and the host refuses a sum that does not fit.
func sum(a, b int64) (int64, error) {
	s := a + b
	if (s > a) != (b > 0) {
		return 0, fmt.Errorf("kv host: %d + %d overflows int64", a, b)
	}
	return s, nil
}
