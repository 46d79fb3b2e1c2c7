package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// runCmd runs a plugin command against a canned registry and returns the
// plugin's exit status.
func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("hostcall run", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(stderr)
	regFile := fs.String("registry", "", "JSON file of canned services (see go doc github.com/hostcall/hostcall/cmd/hostcall); none by default")
	transport := fs.String("transport", "inherited", "how the plugin reaches the host: inherited (fd://3, fd://4), procfs (anonymous pipes, opened once) or named (FIFOs, opened once)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: hostcall run [--registry FILE] [--transport inherited|procfs|named] PLUGIN [CMD...]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "hostcall run: %v\n", err)
		fs.Usage()
		return exitUsage
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return exitUsage
	}
	reg := registry.New()
	if *regFile != "" {
		var err error
		if reg, err = loadCanned(*regFile); err != nil {
			fmt.Fprintf(stderr, "hostcall run: %v\n", err)
			return exitFailed
		}
	}
	bind, cleanup, err := bindOption(*transport)
	if err != nil {
		fmt.Fprintf(stderr, "hostcall run: %v\n", err)
		return exitUsage
	}
	defer cleanup()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	plug, err := pluginexec.NewPlugin(ctx, fs.Arg(0), pluginexec.WithStderr(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "hostcall run: %v\n", err)
		return exitFailed
	}
	cmd, rest, err := pickCommand(plug, fs.Args()[1:])
	if err != nil {
		fmt.Fprintf(stderr, "hostcall run: %v\n", err)
		return exitUsage
	}
	rng := pluginexec.ExecIterator(func(yield func(*pluginexec.Plugin, *pluginexec.Command) bool) {
		if cmd == nil {
			for i := range plug.Commands {
				if !yield(plug, &plug.Commands[i]) {
					return
				}
			}
			return
		}
		yield(plug, cmd)
	})
	err = pluginexec.Exec(ctx, rng, rest, host.Bind(reg, bind),
		pluginexec.WithStdout(stdout), pluginexec.WithStderr(stderr), pluginexec.WithStdin(os.Stdin))
	return exitStatus(err, stderr)
}

// pickCommand finds the plugin command whose path words start words, the
// longest if several do, and returns it with the words after its path.
// With no words, it returns nil: every command runs.
func pickCommand(plug *pluginexec.Plugin, words []string) (*pluginexec.Command, []string, error) {
	if len(words) == 0 {
		return nil, nil, nil
	}
	var best *pluginexec.Command
	for i := range plug.Commands {
		c := &plug.Commands[i]
		if len(c.Path) <= len(words) && slices.Equal(c.Path, words[:len(c.Path)]) && (best == nil || len(c.Path) > len(best.Path)) {
			best = c
		}
	}
	if best == nil {
		var have []string
		for _, c := range plug.Commands {
			have = append(have, strings.Join(c.Path, " "))
		}
		return nil, nil, fmt.Errorf("plugin %s has no command %q (it has: %s)", plug.Path(), strings.Join(words, " "), strings.Join(have, "; "))
	}
	return best, words[len(best.Path):], nil
}

// bindOption is the host.Bind option of a transport name, with what
// removes what it made.
func bindOption(name string) (host.BindOption, func(), error) {
	switch name {
	case "procfs":
		return host.WithAnonymousPipe(), func() {}, nil
	case "inherited":
		return host.WithInheritedPipes(), func() {}, nil
	case "named":
		dir, err := os.MkdirTemp("", "hostcall-run-")
		if err != nil {
			return nil, nil, fmt.Errorf("making the named pipes' directory: %w", err)
		}
		return host.WithNamedPipes(dir, dir), func() { os.RemoveAll(dir) }, nil
	}
	return nil, nil, fmt.Errorf("unknown transport %q: want procfs, inherited or named", name)
}

// exitStatus is the plugin's exit status for err (128+N for signal N), 1
// for a failure that is not the plugin's own.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *pluginexec.ExitError
	if errors.As(err, &ee) && ee.ExitCode > 0 {
		return ee.ExitCode
	}
	if errors.As(err, &ee) && ee.Signal != 0 {
		return 128 + int(ee.Signal)
	}
	fmt.Fprintf(stderr, "hostcall run: %v\n", err)
	return exitFailed
}
