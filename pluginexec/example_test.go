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

// Discovery leaves out, without a word, the files that are not working
// plugins; a handler sees each one and why. (WithDiscoverLogger logs them
// instead.)
func ExampleWithDiscoverHandler() {
	dir := pluginDir()
	defer os.RemoveAll(dir)
	broken := "#!/bin/sh\necho 'cannot start' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, "broken"), []byte(broken), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes"), []byte("#!/bin/sh\necho not json\n"), 0o755); err != nil {
		log.Fatal(err)
	}

	report := func(path string, err error) error {
		name, _ := filepath.Rel(dir, path)
		var ee *pluginexec.ExitError
		var me *pluginexec.ManifestError
		switch {
		case errors.As(err, &ee):
			fmt.Printf("skipped %s: info exited with status %d: %s\n", name, ee.ExitCode, ee.StderrTail)
		case errors.As(err, &me):
			fmt.Printf("skipped %s: bad manifest: %v\n", name, me.Err)
		default:
			fmt.Printf("skipped %s: %v\n", name, err)
		}
		return nil // skip it and go on; an error would stop discovery
	}
	plugins, err := pluginexec.DiscoverPlugins(context.Background(), dir,
		pluginexec.WithDiscoverHandler(report),
		pluginexec.WithDiscoverParallelism(1), // one info run at a time: a stable output
		pluginexec.WithStderr(io.Discard))
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range plugins {
		fmt.Println("found", p.Name)
	}
	// Output:
	// skipped broken: info exited with status 3: cannot start
	// skipped notes: bad manifest: not a JSON object: output starts with "not json"
	// found greeter
}

// A host running as root runs each plugin as an unprivileged user and
// group of its own (WithCredential), its info run included, so that
// plugins cannot reach each other's files, pipes or processes. The
// plugin's binary must be executable by that user. (Not run: it needs
// root.)
func ExampleWithCredential() {
	ctx := context.Background()
	asNobody := pluginexec.WithCredential(65534, 65534)
	plugin, err := pluginexec.NewPlugin(ctx, "/usr/lib/myhost/plugins/scanner", asNobody)
	if err != nil {
		log.Fatal(err)
	}
	if err := pluginexec.Exec(ctx, plugin, nil, asNobody); err != nil {
		log.Fatal(err)
	}
}
