package pluginexec

import (
	"context"
	"io"
	"os"
	"slices"
	"time"
)

// Process is the fully resolved description of one plugin process, what an
// Executor runs. An Executor may hand a modified copy to another Executor,
// typically DefaultExecutor, to wrap the plugin in a container runtime,
// unshare, a sandbox...
type Process struct {
	// Name is the plugin's name, for messages.
	Name string
	// Path is the program to run. It is argv[0].
	Path string
	// Args are the arguments after the program (argv[1:]): the command path
	// words, the prepended arguments, then the caller's arguments.
	Args []string
	// Env is the complete environment: the host's, then the added entries
	// (a later entry for a key wins).
	Env []string
	// Stdin is the process's standard input; nil reads the null device.
	Stdin io.Reader
	// Stdout and Stderr receive the process's output; nil discards it.
	Stdout, Stderr io.Writer
	// ExtraFiles are inherited as descriptors 3, 4, ... in order. Nothing
	// else beyond stdin, stdout and stderr may reach the process.
	ExtraFiles []*os.File
	// GracePeriod is the time between SIGTERM and SIGKILL when the run's
	// context is done; zero kills at once.
	GracePeriod time.Duration
	// Credential, when not nil, is the user and group the process runs as
	// (WithCredential); nil runs it as the host's.
	Credential *Credential
	// Starting, when not nil, is the start hook of the run (WithStartHook):
	// the executor calls it just before it starts the process, then the
	// function it returns once, with the process's id, or 0 if the process
	// could not start. DefaultExecutor does.
	Starting StartHook
}

// processRun builds a Process from a configuration, runs it with the
// configured Executor and turns its failure into an *ExitError.
type processRun struct {
	cfg     *ExecConfig
	name    string   // for the stderr prefix
	path    string   // the plugin's path
	command []string // the command path words, for errors
	args    []string // argv[1:]
	out     *outputs
}

// run runs the process with stdout as its standard output and returns the
// tail of its stderr.
func (r *processRun) run(ctx context.Context, stdout io.Writer) (tail string, err error) {
	sink := r.out.stderr(r.cfg.stderr, r.name)
	p := &Process{
		Name:        r.name,
		Path:        r.path,
		Args:        slices.Clone(r.args),
		Env:         append(os.Environ(), r.cfg.env...),
		Stdin:       r.cfg.stdin,
		Stdout:      stdout,
		Stderr:      sink,
		ExtraFiles:  slices.Clone(r.cfg.extraFiles),
		GracePeriod: r.cfg.gracePeriod,
		Credential:  cloneCredential(r.cfg.credential),
		Starting:    startHook(r.cfg.startHooks),
	}
	err = r.execute(ctx, p)
	sink.Close()
	tail = sink.Tail()
	if err != nil {
		return tail, newExitError(r.path, r.command, tail, err)
	}
	return tail, nil
}

// cloneCredential returns a copy of c, for one run's Process.
func cloneCredential(c *Credential) *Credential {
	if c == nil {
		return nil
	}
	d := *c
	return &d
}

// execute runs p with the configured executor, after checking its binary
// when a checksum is set.
func (r *processRun) execute(ctx context.Context, p *Process) error {
	if r.cfg.checksum != nil {
		release, err := r.cfg.checksum.apply(p)
		if err != nil {
			return err
		}
		defer release()
	}
	return r.cfg.executor(ctx, p)
}
