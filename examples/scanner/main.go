// Command scanner is the main demo of hostcall: a host that scans a
// directory with plugin programs it discovers and runs in parallel.
//
//	go run ./examples/scanner [flags] [DIR]
//
// The host serves each plugin a read-only view of DIR (namespace target:
// list, stat, read, readRange) and a findings namespace to report to; the
// plugins touch no file themselves. Each plugin run gets its own registry
// layer on top of the shared target, holding a findings service that
// stamps the plugin's name, so a plugin cannot report as another. The host
// prints the findings as a table, and on stderr what the plugins log
// (log/slog records sent with service.LogHandler, and stderr lines), each
// line prefixed with the plugin's name.
//
// Without DIR it scans the sample tree embedded from testdata/target.
// Without --plugins it builds the plugins of ./plugins with the go command
// (which `go run` implies is installed) into a temporary directory.
//
// Exit status: 0 when every plugin ran, 1 when one failed or the scan could
// not run, 2 for bad usage, 3 with --fail-on-findings when something was
// found.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/host"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitFindings = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line's.
type options struct {
	pluginDir      string
	parallel       int
	bind           string
	failOnFindings bool
	target         string // "" for the embedded sample
}

// cli runs the command with args, printing the table on stdout and
// everything else on stderr, and returns the exit status.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "scanner: %v\nRun scanner --help for usage.\n", err)
		return exitUsage
	}
	r, err := run(ctx, opts, stderr)
	if r != nil {
		if werr := writeTable(stdout, r); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "scanner: %v\n", err)
		return exitFailed
	}
	if opts.failOnFindings && len(r.findings) > 0 {
		return exitFindings
	}
	return exitOK
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fl := pflag.NewFlagSet("scanner", pflag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&o.pluginDir, "plugins", "", "directory of plugin binaries (default: build them from ./plugins with the go command)")
	fl.IntVarP(&o.parallel, "parallel", "p", 0, "how many plugins run at once (0: one per CPU)")
	fl.StringVar(&o.bind, "bind", defaultBind(), "how plugins reach the host: procfs, inherited or named (pipes)")
	fl.BoolVar(&o.failOnFindings, "fail-on-findings", false, "exit with status 3 when anything is found")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "Usage: scanner [flags] [DIR]\n\n"+
			"Scans DIR (default: the embedded sample tree) with every plugin that has\n"+
			"a command of type \"scanner\", and prints the findings.\n\nFlags:\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return o, err
	}
	switch fl.NArg() {
	case 0:
	case 1:
		o.target = fl.Arg(0)
	default:
		return o, fmt.Errorf("one directory to scan at most, got %q", fl.Args())
	}
	switch o.bind {
	case "procfs", "inherited", "named":
	default:
		return o, fmt.Errorf("--bind %q: want procfs, inherited or named", o.bind)
	}
	return o, nil
}

// run sets up what the scan needs from opts, runs it and cleans up.
func run(ctx context.Context, opts options, stderr io.Writer) (*result, error) {
	fsys, name, closeTarget, err := openTarget(opts.target)
	if err != nil {
		return nil, err
	}
	defer closeTarget()
	bind, release, err := bindOption(opts.bind)
	if err != nil {
		return nil, err
	}
	defer release()
	pluginDir := opts.pluginDir
	if pluginDir == "" {
		dir, err := os.MkdirTemp("", "scanner-plugins-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		start := time.Now()
		if err := buildPlugins(ctx, dir); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "scanner: built the plugins in %dms\n", time.Since(start).Milliseconds())
		pluginDir = dir
	}
	cfg := config{
		target:     fsys,
		targetName: name,
		pluginDir:  pluginDir,
		parallel:   opts.parallel,
		bind:       []host.BindOption{bind},
		log:        stderr,
	}
	return scan(ctx, cfg)
}

// openTarget returns the tree to scan: dir, confined with os.Root so that
// no symbolic link leads out of it, or the embedded sample when dir is "".
func openTarget(dir string) (fs.FS, string, func(), error) {
	if dir == "" {
		return sample(), sampleName, func() {}, nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, "", nil, fmt.Errorf("target: %w", err)
	}
	return root.FS(), dir, func() { root.Close() }, nil
}
