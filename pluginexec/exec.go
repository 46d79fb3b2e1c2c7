package pluginexec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Exec runs every (plugin, command) pair of rng, each as
//
//	plugin-path command-path-words... prepended-args... args...
//
// with at most WithExecParallelism runs in flight, and returns once every
// run has ended and every process it started has been waited for. For
// each run, the generators make their options, then the interceptors run,
// the last calling the Executor. Each failure goes to the handler
// (WithExecHandler); by default Exec returns them all, joined in the order
// of rng, each naming its plugin and command. When ctx is done, runs not yet
// started are not started, and Exec reports it. A rng that is not an
// ExecRange, or an iterator made of one (IterateTyped(42, "t")), is an
// error naming its type: returned before anything runs when it is rng
// itself, else joined to the errors of the runs started before it.
func Exec(ctx context.Context, rng ExecRange, args []string, opts ...ExecOption) error {
	seq, err := iterate(rng)
	if err != nil {
		return err
	}
	e := newExecution(newExecConfig(opts), args)
	if err := e.dispatch(ctx, seq); err != nil {
		return errors.Join(err, e.result())
	}
	return e.result()
}

// execution is one Exec call in progress.
type execution struct {
	cfg  *ExecConfig
	args []string
	out  outputs
	sem  chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex // guards failures, and calls of the handler
	failures []failure
	stopped  error // why runs were left unstarted
}

// failure is what the handler returned for the run at index.
type failure struct {
	index int
	err   error
}

func newExecution(cfg *ExecConfig, args []string) *execution {
	return &execution{
		cfg:  cfg,
		args: args,
		sem:  make(chan struct{}, cfg.parallelism),
	}
}

// dispatch starts a run for each pair of seq, as slots free up, and waits
// for them all. It returns the error that an iterator made of a
// value that is not an ExecRange panics with: that iterator panics before
// yielding anything.
func (e *execution) dispatch(ctx context.Context, seq ExecIterator) (err error) {
	defer e.wg.Wait()
	defer func() {
		if r := recover(); r != nil {
			re, ok := r.(*rangeError)
			if !ok {
				panic(r)
			}
			err = re
		}
	}()
	index := 0
	for p, c := range seq {
		if p == nil || c == nil {
			continue
		}
		if !e.acquire(ctx) {
			e.stopped = fmt.Errorf("pluginexec: runs left unstarted: %w", ctx.Err())
			return nil
		}
		e.wg.Add(1)
		go e.run(ctx, index, p, c)
		index++
	}
	return nil
}

// acquire takes a slot for a run, or reports false once ctx is done.
func (e *execution) acquire(ctx context.Context) bool {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	if ctx.Err() != nil {
		<-e.sem
		return false
	}
	return true
}

// run is one (plugin, command) run, in its own goroutine.
func (e *execution) run(ctx context.Context, index int, p *Plugin, c *Command) {
	defer e.wg.Done()
	defer func() { <-e.sem }()
	iv := &invocation{plug: p, cmd: c, args: e.args, out: &e.out}
	if err := iv.start(ctx, e.cfg.clone()); err != nil {
		e.fail(index, p, c, runError(p, c, err))
	}
}

// fail hands a failure to the handler and keeps what it returns.
func (e *execution) fail(index int, p *Plugin, c *Command, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if herr := e.cfg.handler(p, c, err); herr != nil {
		e.failures = append(e.failures, failure{index, herr})
	}
}

// result joins the failures in the order of the range.
func (e *execution) result() error {
	slices.SortFunc(e.failures, func(a, b failure) int { return cmp.Compare(a.index, b.index) })
	errs := make([]error, 0, len(e.failures)+1)
	for _, f := range e.failures {
		errs = append(errs, f.err)
	}
	return errors.Join(append(errs, e.stopped)...)
}
