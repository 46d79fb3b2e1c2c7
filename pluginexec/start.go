package pluginexec

import "sync"

// StartHook learns when a plugin process starts: the executor calls it just
// before it starts the process, and calls the function it returns once,
// with the process's id when the process has started, or with 0 when it
// could not start. A host uses it to tie what the process does, once it
// runs, to its process id.
type StartHook func() (started func(pid int))

// WithStartHook adds h to the hooks of every run: DefaultExecutor calls
// each, in the order added, through Process.Starting. A custom Executor
// that hands a copy of the Process to DefaultExecutor passes them on; one
// that starts processes another way reports the start by calling
// Process.Starting itself, or leaves the hooks uncalled.
func WithStartHook(h StartHook) ExecOption {
	return func(c *ExecConfig) {
		if h != nil {
			c.startHooks = append(c.startHooks, h)
		}
	}
}

// startHook combines hooks into the one a Process carries: nil if there
// are none.
func startHook(hooks []StartHook) StartHook {
	if len(hooks) == 0 {
		return nil
	}
	return func() func(pid int) {
		started := make([]func(int), 0, len(hooks))
		for _, h := range hooks {
			if f := h(); f != nil {
				started = append(started, f)
			}
		}
		return func(pid int) {
			for _, f := range started {
				f(pid)
			}
		}
	}
}

// starting calls p's start hook, if any, and returns the function that
// reports how the start went: it calls the hook's function once, ignoring
// later calls.
func starting(p *Process) (started func(pid int)) {
	if p.Starting == nil {
		return func(int) {}
	}
	f := p.Starting()
	if f == nil {
		return func(int) {}
	}
	var once sync.Once
	return func(pid int) { once.Do(func() { f(pid) }) }
}
