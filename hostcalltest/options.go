package hostcalltest

import (
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

// Option configures NewClient, StartFunc, StartPlugin and RunPlugin. Each
// says which of them it applies to; the others ignore it.
type Option func(*config)

type config struct {
	serve   []host.ServeOption
	client  []service.ClientOption
	command []string
	args    []string
	exec    []pluginexec.ExecOption
	bind    []host.BindOption
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// WithServeOptions configures the host's end of the connection: its frame
// size limit, bound on calls in flight, drain timeout, error log
// (host.WithMaxFrameSize...). All four functions apply it.
func WithServeOptions(opts ...host.ServeOption) Option {
	return func(c *config) { c.serve = append(c.serve, opts...) }
}

// WithClientOptions configures the plugin's client (service.WithProtocol1,
// service.WithMaxFrameSize...), for NewClient and StartFunc, whose plugin
// end is in the test's process.
func WithClientOptions(opts ...service.ClientOption) Option {
	return func(c *config) { c.client = append(c.client, opts...) }
}

// WithCommand picks the plugin command that StartPlugin and RunPlugin run,
// by its path words, as in the plugin's manifest. Without it they run the
// plugin's only command, and fail the test if it has several.
func WithCommand(path ...string) Option {
	return func(c *config) { c.command = path }
}

// WithArgs passes arguments to the plugin command that StartPlugin and
// RunPlugin run, after the command's path words.
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// WithExecOptions passes options to the pluginexec.Exec that StartPlugin
// and RunPlugin run the plugin with, and to the info run that reads its
// manifest: environment (pluginexec.WithEnv), stdin, grace period,
// executor, credential. Their stdout and stderr writers replace the ones
// RunPlugin and StartPlugin capture.
func WithExecOptions(opts ...pluginexec.ExecOption) Option {
	return func(c *config) { c.exec = append(c.exec, opts...) }
}

// WithBindOptions passes options to the host.Bind that connects the
// registry to the plugin StartPlugin and RunPlugin run: the transport
// (host.WithInheritedPipes, host.WithNamedPipes...), host.OnConnect.
func WithBindOptions(opts ...host.BindOption) Option {
	return func(c *config) { c.bind = append(c.bind, opts...) }
}
