package pluginexec_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostcall/hostcall/pluginexec"
)

// greeter is a plugin. Any executable that answers `info` with its
// manifest is one: this one is a shell script.
const greeter = `#!/bin/sh
case "$1" in
info)  echo '{"manifestVersion":1,"name":"greeter","version":"1.0.0","commands":[{"path":["greet"],"type":"greeting"}]}' ;;
greet) shift; echo "hello, $*" ;;
*)     echo "no command $1" >&2; exit 2 ;;
esac
`

// pluginDir makes a directory holding the greeter plugin.
func pluginDir() string {
	dir, err := os.MkdirTemp("", "plugins")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "greeter"), []byte(greeter), 0o755); err != nil {
		log.Fatal(err)
	}
	return dir
}

// A host discovers the plugins in a directory and runs the commands of one
// type.
func Example() {
	dir := pluginDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()

	plugins, err := pluginexec.DiscoverPlugins(ctx, dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range plugins {
		fmt.Println(p.Name, p.Version, p.Commands[0].Path)
	}
	err = pluginexec.Exec(ctx, pluginexec.IterateTyped(plugins, "greeting"), []string{"world"})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// greeter 1.0.0 [greet]
	// hello, world
}

// An interceptor wraps each run: here it adds an argument for this run only
// and reports when the process has ended.
func ExampleWithExecInterceptor() {
	dir := pluginDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	plugin, err := pluginexec.NewPlugin(ctx, filepath.Join(dir, "greeter"))
	if err != nil {
		log.Fatal(err)
	}

	logRuns := func(ctx context.Context, p *pluginexec.Plugin, c *pluginexec.Command,
		next func(context.Context, ...pluginexec.ExecOption) error) error {
		fmt.Println("starting", p.Name, c.Path)
		err := next(ctx, pluginexec.WithPrependArgs("dear"))
		fmt.Println("ended:", err)
		return err
	}
	err = pluginexec.Exec(ctx, plugin, []string{"reader"}, pluginexec.WithExecInterceptor(logRuns))
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// starting greeter [greet]
	// hello, dear reader
	// ended: <nil>
}

// A custom Executor rewrites the Process and delegates to DefaultExecutor.
func ExampleExecutor() {
	dir := pluginDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	plugin, err := pluginexec.NewPlugin(ctx, filepath.Join(dir, "greeter"))
	if err != nil {
		log.Fatal(err)
	}

	// Run every plugin through a shell that sets its locale.
	withLocale := func(ctx context.Context, p *pluginexec.Process) error {
		q := *p
		q.Path = "/bin/sh"
		q.Args = append([]string{"-c", `LC_ALL=C exec "$0" "$@"`, p.Path}, p.Args...)
		fmt.Println("running", p.Name, strings.Join(p.Args, " "), "with LC_ALL=C")
		return pluginexec.DefaultExecutor(ctx, &q)
	}
	err = pluginexec.Exec(ctx, plugin, []string{"world"}, pluginexec.WithExecutor(withLocale))
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// running greeter greet world with LC_ALL=C
	// hello, world
}

// An executor that runs each plugin in its own PID and mount namespaces
// with unshare(1) (which needs the privilege to create them).
func ExampleExecutor_unshare() {
	unshare := func(ctx context.Context, p *pluginexec.Process) error {
		q := *p
		q.Path = "/usr/bin/unshare"
		q.Args = append([]string{"--pid", "--fork", "--mount-proc", "--kill-child", p.Path}, p.Args...)
		return pluginexec.DefaultExecutor(ctx, &q)
	}
	plugins, err := pluginexec.DiscoverPlugins(context.Background(), "/usr/lib/myhost/plugins",
		pluginexec.WithExecutor(unshare)) // info runs go through it too
	if err != nil {
		log.Fatal(err)
	}
	_ = pluginexec.Exec(context.Background(), plugins, nil, pluginexec.WithExecutor(unshare))
}

// A failed run is an *ExitError with the exit status and the end of the
// plugin's stderr.
func ExampleExitError() {
	dir := pluginDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	plugin, err := pluginexec.NewPlugin(ctx, filepath.Join(dir, "greeter"))
	if err != nil {
		log.Fatal(err)
	}
	plugin.Commands[0].Path = []string{"wave"} // a command the plugin does not have

	err = pluginexec.Exec(ctx, plugin, nil, pluginexec.WithStderr(io.Discard))
	var ee *pluginexec.ExitError
	if errors.As(err, &ee) {
		fmt.Println(ee.Command, ee.ExitCode, ee.StderrTail)
	}
	// Output:
	// [wave] 2 no command wave
}

// WriteInfo prints a manifest the way the info command must.
func ExampleWriteInfo() {
	m := pluginexec.Manifest{
		Name:     "secrets",
		Version:  "1.0.0",
		Tags:     []string{"scan"},
		Commands: []pluginexec.Command{{Path: []string{"scan", "dir"}, Type: "scanner"}},
	}
	if err := pluginexec.WriteInfo(os.Stdout, m); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {"manifestVersion":1,"name":"secrets","version":"1.0.0","tags":["scan"],"commands":[{"path":["scan","dir"],"type":"scanner"}]}
}

// A Go plugin answers info with one line at the top of main.
func ExampleServeInfo() {
	pluginexec.ServeInfo(pluginexec.Manifest{
		Name:     "secrets",
		Version:  "1.0.0",
		Commands: []pluginexec.Command{{Path: []string{"scan", "dir"}, Type: "scanner"}},
	})
	// Not run as `plugin info`: go on with the command in os.Args.
}
