// Command host runs one plugin command against a registry of test services,
// for the Python plugin example and its test:
//
//	host [--transport procfs|inherited|named] PLUGIN [ARGS...]
//
// It asks PLUGIN for its manifest (PLUGIN info), runs each of its commands
// with ARGS through the chosen transport, and exits 1 with the error when a
// run fails. The services:
//
//	calc.add(a, b int) int
//	calc.echo(b []byte) []byte            bytes both ways (blobs from 512 bytes)
//	calc.pair() (int, string)             two results
//	calc.sleep(ctx, ms int) (string, error)  returns "slept" or the context's error
//	calc.cancels() int                    how many sleeps ended by their context
//	calc.fail() error                     always the error "boom"
//	calc.panic()                          panics
//
// Namespace calc has the manifest {"description":"arithmetic"}; namespace
// empty has no manifest and no services.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

func main() {
	transport := pflag.String("transport", "procfs", "how the plugin reaches the host: procfs, inherited or named")
	pflag.CommandLine.SetInterspersed(false)
	pflag.Parse()
	if pflag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: host [--transport procfs|inherited|named] PLUGIN [ARGS...]")
		os.Exit(2)
	}
	if err := run(*transport, pflag.Arg(0), pflag.Args()[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		os.Exit(1)
	}
}

func run(transport, plugin string, args []string) error {
	var opt host.BindOption
	switch transport {
	case "procfs":
		opt = host.WithAnonymousPipe()
	case "inherited":
		opt = host.WithInheritedPipes()
	case "named":
		dir, err := os.MkdirTemp("", "hostcall-fifos-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		opt = host.WithNamedPipes(dir, dir)
	default:
		return fmt.Errorf("unknown transport %q: want procfs, inherited or named", transport)
	}
	ctx := context.Background()
	plug, err := pluginexec.NewPlugin(ctx, plugin)
	if err != nil {
		return err
	}
	return pluginexec.Exec(ctx, plug, args, host.Bind(newRegistry(), opt))
}

// newRegistry returns the services listed in the package doc.
func newRegistry() *registry.Registry {
	var cancels atomic.Int64
	reg := registry.New()
	reg.Define("calc", map[string]string{"description": "arithmetic"})
	reg.Define("empty", nil)
	reg.AddServices(registry.Services{"calc": {
		"add":  func(a, b int) int { return a + b },
		"echo": func(b []byte) []byte { return b },
		"pair": func() (int, string) { return 7, "seven" },
		"sleep": func(ctx context.Context, ms int) (string, error) {
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
				return "slept", nil
			case <-ctx.Done():
				cancels.Add(1)
				return "", ctx.Err()
			}
		},
		"cancels": func() int64 { return cancels.Load() },
		"fail":    func() error { return errors.New("boom") },
		"panic":   func() { panic("on purpose") },
	}})
	return reg
}
