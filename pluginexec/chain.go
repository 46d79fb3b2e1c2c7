package pluginexec

import "context"

// ExecInterceptor wraps one (plugin, command) run. It may inspect or wrap
// ctx, prepare resources, and call next to go on: next applies extra on top
// of this run's configuration (never the caller's, never another run's),
// runs the rest of the chain and then the process, and returns the run's
// error once the process has been waited for. An interceptor that does not
// call next stops the run; what it returns is the run's result.
type ExecInterceptor func(ctx context.Context, plug *Plugin, c *Command,
	next func(context.Context, ...ExecOption) error) error

// ExecGenerator makes the options of one (plugin, command) run; nil adds
// none. Generators run before the interceptors.
type ExecGenerator func(plug *Plugin, c *Command) ExecOption

// invocation is one (plugin, command) run travelling down the chain.
type invocation struct {
	plug *Plugin
	cmd  *Command
	args []string
	out  *outputs
}

// start resolves the generators of cfg and runs the chain.
func (iv *invocation) start(ctx context.Context, cfg *ExecConfig) error {
	iv.generate(cfg)
	return iv.call(ctx, cfg)
}

// generate runs the generators still pending in cfg, including those that
// generators add.
func (iv *invocation) generate(cfg *ExecConfig) {
	for len(cfg.generators) > 0 {
		g := cfg.generators[0]
		cfg.generators = cfg.generators[1:]
		if o := g(iv.plug, iv.cmd); o != nil {
			o(cfg)
		}
	}
}

// call runs the first pending interceptor of cfg, or the process when none
// is left.
func (iv *invocation) call(ctx context.Context, cfg *ExecConfig) error {
	if len(cfg.interceptors) == 0 {
		return iv.execute(ctx, cfg)
	}
	head := cfg.interceptors[0]
	rest := cfg.clone()
	rest.interceptors = rest.interceptors[1:]
	next := func(ctx context.Context, extra ...ExecOption) error {
		c := rest.clone()
		c.apply(extra)
		iv.generate(c)
		return iv.call(ctx, c)
	}
	return head(ctx, iv.plug, iv.cmd, next)
}

// execute runs the process that cfg describes.
func (iv *invocation) execute(ctx context.Context, cfg *ExecConfig) error {
	argv := make([]string, 0, len(iv.cmd.Path)+len(cfg.prependArgs)+len(iv.args))
	argv = append(append(append(argv, iv.cmd.Path...), cfg.prependArgs...), iv.args...)
	run := processRun{
		cfg:     cfg,
		name:    iv.plug.displayName(),
		path:    iv.plug.Path(),
		command: iv.cmd.Path,
		args:    argv,
		out:     iv.out,
	}
	_, err := run.run(ctx, iv.out.stdout(cfg.stdout))
	return err
}
