package pluginexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakePlugin is a plugin that was never run: for tests of what Exec hands
// its Executor.
func fakePlugin(name string, commands ...Command) *Plugin {
	return &Plugin{Manifest: Manifest{ManifestVersion: 1, Name: name, Commands: commands}, path: "/plugins/" + name}
}

func cmd(typ string, words ...string) Command { return Command{Path: words, Type: typ} }

// recorder is an Executor that records the processes it is given instead
// of running them.
type recorder struct {
	mu    sync.Mutex
	procs []*Process
	log   *[]string
	err   func(p *Process) error
}

func (r *recorder) execute(ctx context.Context, p *Process) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs = append(r.procs, p)
	if r.log != nil {
		*r.log = append(*r.log, "exec "+strings.Join(p.Args, " "))
	}
	if r.err != nil {
		return r.err(p)
	}
	return nil
}

// argsByPlugin returns the Args of each process, keyed by Name.
func (r *recorder) argsByPlugin() map[string][]string {
	m := map[string][]string{}
	for _, p := range r.procs {
		m[p.Name] = p.Args
	}
	return m
}

func TestChainOrder(t *testing.T) {
	noLeftovers(t)
	var log []string
	rec := &recorder{log: &log}
	ic := func(name string, extra ...ExecOption) ExecInterceptor {
		return func(ctx context.Context, p *Plugin, c *Command, next func(context.Context, ...ExecOption) error) error {
			log = append(log, name+" in")
			err := next(ctx, extra...)
			log = append(log, name+" out")
			return err
		}
	}
	gen := func(name string, opt ExecOption) ExecGenerator {
		return func(p *Plugin, c *Command) ExecOption {
			log = append(log, name+" "+p.Name+" "+strings.Join(c.Path, " "))
			return opt
		}
	}
	err := Exec(context.Background(), fakePlugin("p", cmd("t", "run")), []string{"arg"},
		WithExecutor(rec.execute),
		WithExecGenerator(gen("g1", WithExecInterceptor(ic("from-g1")))),
		WithExecInterceptor(ic("i1", WithExecInterceptor(ic("from-i1")), WithPrependArgs("pre-i1"))),
		WithExecGenerator(gen("g2", nil)),
		WithExecInterceptor(ic("i2", WithExecGenerator(gen("from-i2", WithPrependArgs("pre-gen"))))),
		WithPrependArgs("pre"),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"g1 p run", "g2 p run",
		"i1 in", "i2 in", "from-i2 p run", "from-g1 in", "from-i1 in",
		"exec run pre pre-i1 pre-gen arg",
		"from-i1 out", "from-g1 out", "i2 out", "i1 out",
	}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestChainIsolatesRuns(t *testing.T) {
	noLeftovers(t)
	rec := &recorder{}
	perPlugin := func(ctx context.Context, p *Plugin, c *Command, next func(context.Context, ...ExecOption) error) error {
		return next(ctx, WithPrependArgs("only-"+p.Name), WithEnv("ONLY="+p.Name))
	}
	base := []ExecOption{WithExecutor(rec.execute), WithPrependArgs("base"), WithEnv("BASE=1"),
		WithExecInterceptor(perPlugin), WithExecParallelism(3)}
	plugins := []*Plugin{fakePlugin("a", cmd("t", "x")), fakePlugin("b", cmd("t", "x")), fakePlugin("c", cmd("t", "x"))}
	want := map[string][]string{
		"a": {"x", "base", "only-a", "z"}, "b": {"x", "base", "only-b", "z"}, "c": {"x", "base", "only-c", "z"},
	}
	for round := range 2 { // the caller's options are unchanged by the first round
		rec.procs = nil
		if err := Exec(context.Background(), plugins, []string{"z"}, base...); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, rec.argsByPlugin()); diff != "" {
			t.Errorf("round %d: args (-want +got):\n%s", round, diff)
		}
		for _, p := range rec.procs {
			env := p.Env[len(p.Env)-2:]
			if !slices.Equal(env, []string{"BASE=1", "ONLY=" + p.Name}) {
				t.Errorf("round %d: %s env ends %q", round, p.Name, env)
			}
		}
	}
}

func TestChainNextAfterProcess(t *testing.T) {
	noLeftovers(t)
	var done bool
	rec := &recorder{err: func(*Process) error { done = true; return nil }}
	ctxKey := struct{ name string }{"key"}
	var sawValue any
	err := Exec(context.Background(), fakePlugin("p", cmd("t", "x")), nil,
		WithExecutor(func(ctx context.Context, p *Process) error {
			sawValue = ctx.Value(ctxKey)
			return rec.execute(ctx, p)
		}),
		WithExecInterceptor(func(ctx context.Context, p *Plugin, c *Command, next func(context.Context, ...ExecOption) error) error {
			err := next(context.WithValue(ctx, ctxKey, "wrapped"))
			if !done {
				return errors.New("next returned before the process ran")
			}
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	if sawValue != "wrapped" {
		t.Errorf("executor saw context value %v", sawValue)
	}
}

func TestChainInterceptorRefuses(t *testing.T) {
	noLeftovers(t)
	rec := &recorder{}
	refused := errors.New("refused")
	err := Exec(context.Background(), fakePlugin("p", cmd("t", "scan", "dir")), nil, WithExecutor(rec.execute),
		WithExecInterceptor(func(context.Context, *Plugin, *Command, func(context.Context, ...ExecOption) error) error {
			return refused
		}))
	if !errors.Is(err, refused) || err.Error() != "pluginexec: /plugins/p [scan dir]: refused" {
		t.Errorf("got %v", err)
	}
	if len(rec.procs) != 0 {
		t.Errorf("ran %d processes", len(rec.procs))
	}
}

func TestChainNextTwice(t *testing.T) {
	noLeftovers(t)
	rec := &recorder{}
	err := Exec(context.Background(), fakePlugin("p", cmd("t", "x")), nil, WithExecutor(rec.execute),
		WithExecInterceptor(func(ctx context.Context, p *Plugin, c *Command, next func(context.Context, ...ExecOption) error) error {
			_ = next(ctx, WithPrependArgs("first"))
			return next(ctx, WithPrependArgs("second"))
		}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.procs) != 2 || !slices.Equal(rec.procs[1].Args, []string{"x", "second"}) {
		t.Errorf("second try ran with %q", rec.procs[len(rec.procs)-1].Args)
	}
}

func TestProcessDefaults(t *testing.T) {
	noLeftovers(t)
	t.Setenv("PLUGINEXEC_HOSTVAR", "host")
	rec := &recorder{}
	files := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	err := Exec(context.Background(), fakePlugin("p", cmd("t", "x")), nil, WithExecutor(rec.execute),
		WithExtraFiles(files[0]), WithExtraFiles(files[1:]...), WithEnv("ADDED=1"))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.procs[0]
	if p.Path != "/plugins/p" || p.Name != "p" || p.GracePeriod != DefaultGracePeriod || p.Stdout != os.Stdout || p.Stdin != nil {
		t.Errorf("process %+v", p)
	}
	if !slices.Equal(p.ExtraFiles, files) {
		t.Errorf("extra files %v", p.ExtraFiles)
	}
	if !slices.Contains(p.Env, "PLUGINEXEC_HOSTVAR=host") || p.Env[len(p.Env)-1] != "ADDED=1" {
		t.Errorf("environment lacks the host's or the added entry")
	}
	if _, ok := p.Stderr.(*stderrSink); !ok {
		t.Errorf("stderr is %T", p.Stderr)
	}
}

func TestExecHandler(t *testing.T) {
	noLeftovers(t)
	rec := &recorder{err: func(p *Process) error { return fmt.Errorf("failed %s", p.Args[0]) }}
	p := fakePlugin("p", cmd("t", "a"), cmd("t", "b"), cmd("t", "c"))
	var handled []string // no lock: handler calls are serialized, -race checks it
	err := Exec(context.Background(), p, nil, WithExecutor(rec.execute), WithExecParallelism(3),
		WithExecHandler(func(p *Plugin, c *Command, err error) error {
			handled = append(handled, c.Path[0])
			if c.Path[0] == "b" {
				return nil
			}
			return err
		}))
	slices.Sort(handled)
	if !slices.Equal(handled, []string{"a", "b", "c"}) {
		t.Errorf("handled %q", handled)
	}
	var errs []error
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		errs = u.Unwrap()
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "[a]: failed a") || !strings.Contains(errs[1].Error(), "[c]: failed c") {
		t.Errorf("got %v", err)
	}
}

func TestExecDefaultHandlerKeepsAll(t *testing.T) {
	noLeftovers(t)
	rec := &recorder{err: func(p *Process) error { return fmt.Errorf("failed %s", p.Args[0]) }}
	plugins := []*Plugin{fakePlugin("p", cmd("t", "a"), cmd("t", "b")), fakePlugin("q", cmd("t", "c"))}
	err := Exec(context.Background(), plugins, nil, WithExecutor(rec.execute), WithExecParallelism(2))
	want := "pluginexec: /plugins/p [a]: failed a\npluginexec: /plugins/p [b]: failed b\npluginexec: /plugins/q [c]: failed c"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Path != "/plugins/p" || ee.ExitCode != -1 {
		t.Errorf("no *ExitError in %v", err)
	}
}

func TestExecCancelledLeavesRunsUnstarted(t *testing.T) {
	noLeftovers(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := &recorder{}
	err := Exec(ctx, fakePlugin("p", cmd("t", "a")), nil, WithExecutor(rec.execute))
	if !errors.Is(err, context.Canceled) || len(rec.procs) != 0 {
		t.Errorf("got %v after %d runs", err, len(rec.procs))
	}
}

func TestExecRangeTypes(t *testing.T) {
	noLeftovers(t)
	if err := Exec(context.Background(), 42, nil); err == nil || !strings.Contains(err.Error(), "int") {
		t.Errorf("got %v", err)
	}
	if err := Exec(context.Background(), nil, nil, WithGracePeriod(time.Second)); err != nil {
		t.Errorf("nil range: %v", err)
	}
}

func TestNumExtraFilesNumbersDescriptors(t *testing.T) {
	noLeftovers(t)
	rec := &recorder{}
	var firsts []int
	addTwo := func(c *ExecConfig) {
		firsts = append(firsts, 3+c.NumExtraFiles())
		WithExtraFiles(os.Stdin, os.Stdout)(c)
	}
	err := Exec(context.Background(), fakePlugin("p", cmd("t", "x")), nil, WithExecutor(rec.execute),
		WithExtraFiles(os.Stderr), addTwo,
		WithExecInterceptor(func(ctx context.Context, p *Plugin, c *Command, next func(context.Context, ...ExecOption) error) error {
			return next(ctx, addTwo)
		}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(firsts, []int{4, 6}) || len(rec.procs[0].ExtraFiles) != 5 {
		t.Errorf("first descriptors %v, %d files", firsts, len(rec.procs[0].ExtraFiles))
	}
}
