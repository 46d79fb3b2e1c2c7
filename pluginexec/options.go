package pluginexec

import (
	"io"
	"os"
	"runtime"
	"slices"
	"time"
)

// DefaultGracePeriod is how long a cancelled plugin has between SIGTERM and
// SIGKILL unless WithGracePeriod says otherwise.
const DefaultGracePeriod = 2 * time.Second

// ExecConfig is the configuration that ExecOptions build. It is opaque: use
// the With... functions, or compose them with WithExecOptions.
type ExecConfig struct {
	executor     Executor
	interceptors []ExecInterceptor // still to run, outermost first
	generators   []ExecGenerator   // still to run, in order
	prependArgs  []string
	extraFiles   []*os.File
	env          []string
	stdin        io.Reader
	stdout       io.Writer
	stderr       io.Writer
	gracePeriod  time.Duration
	parallelism  int
	handler      func(*Plugin, *Command, error) error
	checksum     *checksum
	credential   *Credential // shared, never modified
	startHooks   []StartHook
}

// ExecOption configures Exec, and the info runs of NewPlugin and
// DiscoverPlugins (an ExecOption is also a DiscoverOption).
type ExecOption func(*ExecConfig)

func newExecConfig(opts []ExecOption) *ExecConfig {
	c := &ExecConfig{
		executor:    DefaultExecutor,
		gracePeriod: DefaultGracePeriod,
		parallelism: 1,
		handler:     keepError,
	}
	c.apply(opts)
	return c
}

// keepError is the default Exec handler: every failure is reported.
func keepError(_ *Plugin, _ *Command, err error) error { return err }

func (c *ExecConfig) apply(opts []ExecOption) {
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
}

// clone returns a copy of c that shares no slice with it, so options applied
// to the copy never show through to c or to other copies.
func (c *ExecConfig) clone() *ExecConfig {
	d := *c
	d.interceptors = slices.Clone(c.interceptors)
	d.generators = slices.Clone(c.generators)
	d.prependArgs = slices.Clone(c.prependArgs)
	d.extraFiles = slices.Clone(c.extraFiles)
	d.env = slices.Clone(c.env)
	d.startHooks = slices.Clone(c.startHooks)
	return &d
}

// NumExtraFiles returns how many extra files the configuration passes so
// far. An option that adds files with WithExtraFiles can compute the
// descriptors the child sees them as: the first is 3 + NumExtraFiles(), as
// files added later only come after.
func (c *ExecConfig) NumExtraFiles() int { return len(c.extraFiles) }

// WithExecOptions composes opts into one option, applied in order.
func WithExecOptions(opts ...ExecOption) ExecOption {
	return func(c *ExecConfig) { c.apply(opts) }
}

// WithExecutor runs processes with e instead of DefaultExecutor. Given to
// NewPlugin or DiscoverPlugins, it runs the info commands too.
func WithExecutor(e Executor) ExecOption {
	return func(c *ExecConfig) {
		if e == nil {
			e = DefaultExecutor
		}
		c.executor = e
	}
}

// WithPrependArgs adds args after the command path words and before the
// arguments given to Exec. Several calls append in order.
func WithPrependArgs(args ...string) ExecOption {
	return func(c *ExecConfig) { c.prependArgs = append(c.prependArgs, args...) }
}

// WithExtraFiles passes files to the plugin: after those of earlier calls,
// the child sees them as descriptors 3, 4, ... in order. The caller keeps
// them open for the run and closes its copies after.
func WithExtraFiles(files ...*os.File) ExecOption {
	return func(c *ExecConfig) { c.extraFiles = append(c.extraFiles, files...) }
}

// WithEnv adds "KEY=value" entries to the host's environment for the
// plugin. A later entry for a key wins over an earlier one.
func WithEnv(env ...string) ExecOption {
	return func(c *ExecConfig) { c.env = append(c.env, env...) }
}

// WithStdin gives the plugin a standard input. By default it reads from
// the null device. A reader serves one run: for parallel runs, give each
// its own through a generator.
func WithStdin(r io.Reader) ExecOption {
	return func(c *ExecConfig) { c.stdin = r }
}

// WithStdout sends the plugin's stdout to w instead of the host's stdout.
// Within one Exec call, writes to w are serialized.
func WithStdout(w io.Writer) ExecOption {
	return func(c *ExecConfig) { c.stdout = w }
}

// WithStderr sends the plugin's stderr to w, unprefixed, instead of the
// host's stderr with each line prefixed by the plugin's name. Errors still
// carry the tail of stderr. Within one Exec call, writes to w are serialized.
func WithStderr(w io.Writer) ExecOption {
	return func(c *ExecConfig) { c.stderr = w }
}

// WithGracePeriod sets how long a cancelled plugin has between SIGTERM and
// SIGKILL (DefaultGracePeriod by default). Zero or less kills at once.
func WithGracePeriod(d time.Duration) ExecOption {
	return func(c *ExecConfig) { c.gracePeriod = max(d, 0) }
}

// WithExecParallelism bounds how many runs Exec has in flight at once
// (1 by default: one after another). n < 1 means one per CPU. It only
// matters among the options given to Exec itself.
func WithExecParallelism(n int) ExecOption {
	return func(c *ExecConfig) {
		if n < 1 {
			n = runtime.NumCPU()
		}
		c.parallelism = n
	}
}

// WithExecHandler sets the function that Exec calls, one call at a time,
// for each run that fails, with an error that names the plugin and command.
// What h returns is what Exec reports for that run: the default handler
// returns err, so Exec returns every failure, joined; returning nil drops
// it. Other runs go on either way; to stop them, cancel Exec's context from
// h. It only matters among the options given to Exec itself.
func WithExecHandler(h func(*Plugin, *Command, error) error) ExecOption {
	return func(c *ExecConfig) {
		if h == nil {
			h = keepError
		}
		c.handler = h
	}
}

// WithExecInterceptor adds i to the interceptor chain of every run. Given to
// Exec, interceptors run in the order added, the first outermost; added
// through next or by a generator, i joins the end of the chain still to run.
func WithExecInterceptor(i ExecInterceptor) ExecOption {
	return func(c *ExecConfig) {
		if i != nil {
			c.interceptors = append(c.interceptors, i)
		}
	}
}

// WithExecGenerator adds g, which makes options for each (plugin, command)
// run. Generators run in the order added, before the interceptors.
func WithExecGenerator(g ExecGenerator) ExecOption {
	return func(c *ExecConfig) {
		if g != nil {
			c.generators = append(c.generators, g)
		}
	}
}
