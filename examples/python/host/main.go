// Command host runs one plugin command against a registry of test services,
// for the Python plugin example and its test:
//
//	host [--transport procfs|inherited|named] PLUGIN [ARGS...]
//
// It asks PLUGIN for its manifest (PLUGIN info), runs each of its commands
// with ARGS through the chosen transport, and exits 1 with the error when a
// run fails. A command of type "serve" serves functions to the host: the
// host starts it (host.Start), calls its greet namespace, prints what it
// got and stops it. The services:
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
//
// The error code "greet.rude" is registered for errRude, as the plugin
// registers it for its exception class Rude.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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
	reg := newRegistry()
	var run, served []*pluginexec.Command
	for i := range plug.Commands {
		if plug.Commands[i].Type == "serve" {
			served = append(served, &plug.Commands[i])
		} else {
			run = append(run, &plug.Commands[i])
		}
	}
	runs := pluginexec.ExecIterator(func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) {
		for _, cmd := range run {
			if !yield(plug, cmd) {
				return
			}
		}
	})
	if err := pluginexec.Exec(ctx, runs, args, host.Bind(reg, opt)); err != nil {
		return err
	}
	for _, cmd := range served {
		if err := callServed(ctx, plug, cmd, reg, opt); err != nil {
			return err
		}
	}
	return nil
}

// errRude is the error of the code "greet.rude", which the plugin raises.
var errRude = errors.New("rude")

func init() { registry.RegisterError("greet.rude", errRude) }

// callServed starts a command that serves, calls its functions and stops
// it, printing what it got.
func callServed(ctx context.Context, plug *pluginexec.Plugin, cmd *pluginexec.Command, reg *registry.Registry, opt host.BindOption) error {
	p, err := host.Start(ctx, plug, reg, opt, host.WithCommand(cmd.Path...))
	if err != nil {
		return err
	}
	defer p.Stop(ctx)
	var (
		hello func(ctx context.Context, name string) (string, error)
		total func(ctx context.Context, numbers []int) (int, error)
		shout func(ctx context.Context, text []byte) ([]byte, error)
		each  func(ctx context.Context, n int, f func(i int) (string, error)) ([]string, error)
		rude  func(ctx context.Context, name string) error
		wait  func(ctx context.Context) error
	)
	for name, fn := range map[string]any{"hello": &hello, "total": &total, "shout": &shout, "each": &each, "rude": &rude, "wait": &wait} {
		if err := p.GetService("greet", name, fn); err != nil {
			return err
		}
	}
	s, err := hello(ctx, "gopher")
	fmt.Println("served hello:", s, err)
	n, err := total(ctx, []int{1, 2, 3, 4})
	fmt.Println("served total:", n, err)
	b, err := shout(ctx, []byte(strings.Repeat("abc", 400))) // 1200 bytes: a blob both ways
	fmt.Println("served shout:", len(b), string(b[:6]), err)
	words, err := each(ctx, 3, func(i int) (string, error) { return strings.Repeat("*", i+1), nil })
	fmt.Println("served each:", words, err)
	err = rude(ctx, "gopher")
	fmt.Println("served rude:", errors.Is(err, errRude), err)
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = wait(wctx)
	fmt.Println("served wait:", errors.Is(err, context.DeadlineExceeded))
	names, err := p.Client().ListServices(ctx, "greet")
	fmt.Println("served services:", names, err)
	fmt.Println("stopped:", p.Stop(ctx))
	return nil
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
