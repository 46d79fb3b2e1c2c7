// Package pluginexec finds plugin binaries, asks them what they do, and runs
// them: it is where a plugin's life begins and ends.
//
// # Plugins and manifests
//
// A plugin is any executable that answers `plugin-binary info` by printing
// its Manifest, one JSON object, on stdout and exiting 0:
//
//	{"manifestVersion":1,"name":"secrets","version":"1.0.0",
//	 "commands":[{"path":["scan","dir"],"type":"scanner"}]}
//
// A Go plugin does this with one line at the top of main:
//
//	pluginexec.ServeInfo(pluginexec.Manifest{Name: "secrets", Version: "1.0.0", Commands: ...})
//
// A host turns binaries into *Plugin values with NewPlugin (one path) or
// DiscoverPlugins (every executable under a directory, info run in
// parallel, results ordered by path). A manifest whose manifestVersion is not
// CurrentManifestVersion is refused; so are output that is not one JSON
// object, an info run that fails or outlives its timeout. Those errors
// (*ExitError, *ManifestError) name the path and carry the tail of the
// plugin's stderr. DiscoverPlugins leaves such files out: a handler
// (WithDiscoverHandler) sees each, and WithDiscoverLogger logs each, with
// the files that are not executable, at level Debug.
//
// # Running commands
//
// Exec runs the commands of an ExecRange (a *Plugin, a []*Plugin, or an
// ExecIterator such as IterateTyped(plugins, "scanner"); a value of
// another type is an error) with the argv
//
//	plugin-path command-path-words... prepended-args... args...
//
// Options shape each run. Per call: WithExecParallelism, WithExecHandler
// (by default every failure is returned, joined, none dropped). Per run:
// WithPrependArgs, WithEnv, WithExtraFiles (descriptors 3, 4, ... in the
// child), WithStdin, WithStdout, WithStderr, WithGracePeriod, WithCredential,
// WithExecutor.
// WithExecOptions groups options into one.
//
// Two hooks let a host bind resources to each run. A generator
// (WithExecGenerator) returns options for one (plugin, command). An
// interceptor (WithExecInterceptor) wraps the run like middleware: it gets
// a next function, may wrap the context, add options for this run only
// (next(ctx, WithExtraFiles(f))), or not call next at all; when next
// returns, the process has been waited for, so the interceptor can release
// what it set up. For each run, generators run first, in the order added,
// then the interceptors, the first added outermost; interceptors added
// during the run join the end of the chain. The caller's options and other
// runs are never affected.
//
// # Processes
//
// An Executor runs one fully resolved Process. DefaultExecutor starts a
// child, in a process group of its own on Unix, and always waits for it,
// so no zombie is left; when the context is done it sends SIGTERM to the
// group, then SIGKILL after the grace period, and returns an error wrapping
// the context's error. When the child exits, what is left of its group is
// ended the same way, and the run's error is the child's own. On Linux the
// child is also killed if the host dies. WithCredential runs it as another
// user and group. Only stdin, stdout, stderr and the extra files reach the
// child. Executors for containers, namespaces or sandboxes rewrite the
// Process and delegate to DefaultExecutor (see the Executor example).
//
// A plugin's stderr goes to the host's stderr, each line prefixed with
// "[name] ", unless WithStderr redirects it. Either way, the error of a
// failed run is an *ExitError with the exit status or signal and the last
// lines of stderr:
//
//	pluginexec: /usr/lib/host/plugins/secrets [scan dir]: exit status 3: stderr tail: no such dir
package pluginexec
