package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"syscall"
	"time"

	"github.com/hostcall/hostcall/opener"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// BindFunc connects reg to one plugin run: it prepares a transport, serves
// reg on it (with Serve), calls next with the options that tell the plugin
// where the transport is (typically --host-file arguments, see
// WithFilePath), and tears the transport down once next has returned, that
// is once the plugin has exited. It returns the run's error. ctx carries
// the run (CallerFromContext): passing WithCallerFrom(ctx) to Serve gives
// it to the services' calls.
type BindFunc func(ctx context.Context, plug *pluginexec.Plugin, c *pluginexec.Command,
	next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry) error

// BindOption configures Bind.
type BindOption func(*bindConfig)

type bindConfig struct {
	bind     func(cfg *bindConfig) BindFunc
	flag     string
	serve    []ServeOption
	teardown time.Duration
	owner    *pipeOwner   // the plugins' uid and gid, if not the host's
	logger   *slog.Logger // see WithLogger

	onConnect func(context.Context, *service.Client) // see OnConnect
	onLeave   func(reason string) (after func())     // Start's: a run's plugin sent a leave notice
	restart   *RestartPolicy                         // Start's supervisor (WithRestart)
	command   []string                               // Start's command (WithCommand)
	exec      []pluginexec.ExecOption                // Start's exec options (WithExecOptions)
}

// pipeOwner is the user and group the plugins run as.
type pipeOwner struct{ uid, gid int }

// DefaultHostFlag is the flag that announces the host's URLs to a plugin.
const DefaultHostFlag = "--host-file"

// Bind returns an ExecOption that serves reg to every plugin run it is given
// to, each run on its own connection. A plugin that exits, crashes or closes
// its pipes ends its own connection and no other.
//
// The calls of each run carry the run, for CallerFromContext.
//
// The transport is chosen by the options: anonymous pipes reached through
// procfs by default on Linux (WithAnonymousPipe), inherited descriptors
// elsewhere (WithInheritedPipes), named pipes for plugins in containers
// (WithNamedPipes), or any BindFunc (WithBindFunc). The built-in transports
// serve directly on the OS descriptors, with no copying goroutines.
func Bind(reg *registry.Registry, opts ...BindOption) pluginexec.ExecOption {
	if reg == nil {
		panic("host: Bind with a nil registry")
	}
	cfg := newBindConfig(opts)
	f := cfg.bind(cfg)
	return pluginexec.WithExecInterceptor(func(ctx context.Context, plug *pluginexec.Plugin, c *pluginexec.Command,
		next func(context.Context, ...pluginexec.ExecOption) error) error {
		r := &run{plug: plug, cmd: c}
		ctx = context.WithValue(context.WithValue(ctx, hostFlagKey{}, cfg.flag), callerKey{}, r)
		// The run's process id, for CallerFromContext, whatever the
		// BindFunc passes to next.
		started := func(ctx context.Context, opts ...pluginexec.ExecOption) error {
			return next(ctx, append(opts, pluginexec.WithStartHook(r.startHook))...)
		}
		if cfg.logger != nil {
			return bindLogged(ctx, cfg.logger, r, reg, started, func(ctx context.Context, reg *registry.Registry,
				next func(context.Context, ...pluginexec.ExecOption) error) error {
				return f(ctx, plug, c, next, reg)
			})
		}
		return f(ctx, plug, c, started, reg)
	})
}

func newBindConfig(opts []BindOption) *bindConfig {
	cfg := &bindConfig{bind: defaultBinder, flag: DefaultHostFlag, teardown: 2 * time.Second}
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	return cfg
}

// OnConnect makes Bind hand f the client of each run's connection, once
// the plugin is connected, so that the host can call the plugin while it
// runs (the plugin serves with service.Serve; a client's AwaitServing
// waits for that). f runs in a goroutine of its own; its ctx ends with the
// run, and CallerFromContext(ctx) says which run it is. The run is over
// only once f has returned: f must return when ctx ends.
func OnConnect(f func(ctx context.Context, c *service.Client)) BindOption {
	return func(cfg *bindConfig) { cfg.onConnect = f }
}

// hostFlagKey carries Bind's host flag, in the context given to its
// BindFunc, to WithFilePath and WithFilePathPair.
type hostFlagKey struct{}

// WithBindFunc binds with a custom transport.
func WithBindFunc(f BindFunc) BindOption {
	return func(c *bindConfig) {
		if f != nil {
			c.bind = func(*bindConfig) BindFunc { return f }
		}
	}
}

// WithServeOptions passes options to the Serve of each connection the
// built-in transports make.
func WithServeOptions(opts ...ServeOption) BindOption {
	return func(c *bindConfig) { c.serve = append(c.serve, opts...) }
}

// WithHostFlag sets the flag that announces the URLs to the plugin: "--host"
// for plugins built for hosts of the older convention. The default is
// "--host-file".
func WithHostFlag(name string) BindOption {
	return func(c *bindConfig) {
		if name != "" {
			c.flag = "--" + strings.TrimLeft(name, "-")
		}
	}
}

// WithPipeOwner says that the plugins run as user uid and group gid, not
// as the host's user (with an executor that switches credentials, which
// takes a host running as root or with CAP_SETUID):
//
//   - WithNamedPipes gives the FIFOs to uid:gid (mode 0600) and lets group
//     gid into their directory (mode 0710, the host's), so that the plugin
//     can open them and other users cannot. Changing owners takes root or
//     CAP_CHOWN; without it the run fails with the chown error.
//   - WithAnonymousPipe fails every run at once unless uid is the host's
//     or root's: only they may open the host's /proc/<pid>/fd entries, so
//     the plugin would fail to connect with "permission denied".
//   - WithInheritedPipes needs nothing: the descriptors pass with the
//     process whatever its user.
func WithPipeOwner(uid, gid int) BindOption {
	return func(c *bindConfig) { c.owner = &pipeOwner{uid, gid} }
}

// WithFilePath tells the plugin to open one URL read-write (a socket, for
// example). A path without a scheme is turned into a file URL. The flag is
// that of the Bind whose BindFunc passes this option to next with the
// context it was given (or one derived from it): "--host-file" unless
// WithHostFlag says otherwise.
func WithFilePath(p string) pluginexec.ExecOption {
	return withHostURLs(asURL(p))
}

// WithFilePathPair tells the plugin to read from in and write to out. Paths
// without a scheme are turned into file URLs. The flag is chosen as for
// WithFilePath.
func WithFilePathPair(in, out string) pluginexec.ExecOption {
	return withHostURLs(asURL(in), asURL(out))
}

// withHostURLs announces urls with the host flag found in the run's
// context. Options cannot see Bind's configuration, but the interceptor
// they add runs with the context that Bind's BindFunc gave next.
func withHostURLs(urls ...string) pluginexec.ExecOption {
	return pluginexec.WithExecInterceptor(func(ctx context.Context, _ *pluginexec.Plugin, _ *pluginexec.Command,
		next func(context.Context, ...pluginexec.ExecOption) error) error {
		flag, ok := ctx.Value(hostFlagKey{}).(string)
		if !ok {
			flag = DefaultHostFlag
		}
		args := make([]string, 0, 2*len(urls))
		for _, u := range urls {
			args = append(args, flag, u)
		}
		return next(ctx, pluginexec.WithPrependArgs(args...))
	})
}

func asURL(p string) string {
	if strings.Contains(p, "://") {
		return p
	}
	return opener.FileURL(p)
}

// hostArgs announces the plugin's input and output URLs with cfg's flag.
func (cfg *bindConfig) hostArgs(in, out string) pluginexec.ExecOption {
	return pluginexec.WithPrependArgs(cfg.flag, in, cfg.flag, out)
}

// session is Serve running for the length of one plugin run.
type session struct {
	cancel context.CancelFunc
	done   chan error
	what   string
	files  []io.Closer   // closed by the binder once the session has finished
	conn   chan struct{} // closed when the OnConnect func returned; nil without one
}

// startSession serves reg on r and w in a goroutine, on a client through
// which the host can call the plugin too (OnConnect).
func startSession(ctx context.Context, cfg *bindConfig, reg *registry.Registry, plug *pluginexec.Plugin, c *pluginexec.Command,
	r io.Reader, w io.Writer) *session {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &session{cancel: cancel, done: make(chan error, 1), what: runName(plug, c)}
	for _, x := range []any{r, w} {
		if f, ok := x.(io.Closer); ok {
			s.files = append(s.files, f)
		}
	}
	var client *service.Client
	leave := func(c *serveConfig) {
		logf := c.Logf
		c.OnLeave = func(reason string) func() {
			var then func()
			if cfg.onLeave != nil {
				then = cfg.onLeave(reason) // Start's: recorded before the plugin reads the answer
			}
			return func() {
				if logf != nil {
					logf("%s asked to leave (%q): closing its connection", s.what, reason)
				}
				client.CloseWrite() // the plugin's Serve returns; its calls fail
				if then != nil {
					then()
				}
			}
		}
	}
	opts := append(cfg.serve[:len(cfg.serve):len(cfg.serve)], WithCallerFrom(ctx), answerHello, leave)
	client = service.NewClient(r, w, service.WithServeOptions(opts...))
	go func() { s.done <- hostError(sctx, client.Serve(sctx, reg)) }()
	if cfg.onConnect != nil {
		s.conn = make(chan struct{})
		go func() {
			defer close(s.conn)
			cfg.onConnect(sctx, client) // sctx keeps ctx's values: the run, for CallerFromContext
		}()
	}
	return s
}

func runName(plug *pluginexec.Plugin, c *pluginexec.Command) string {
	return fmt.Sprintf("%s %v", plug.Path(), c.Path)
}

// finish waits for Serve to see the end of the plugin's stream, at most
// grace (a grandchild may hold the pipe open), then stops it. It joins a
// serving failure to the run's error.
func (s *session) finish(runErr error, grace time.Duration) error {
	t := time.NewTimer(grace)
	defer t.Stop()
	var err error
	select {
	case err = <-s.done:
	case <-t.C:
		s.cancel()
		err = <-s.done
	}
	s.cancel()
	if s.conn != nil {
		<-s.conn // the run is over only once its OnConnect func is
	}
	if err == nil || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.Canceled) && !errors.Is(err, errStillRunning) {
		// A plugin that left before reading its last responses is not a
		// serving failure: the run's own error says how it ended.
		return runErr
	}
	return errors.Join(runErr, fmt.Errorf("host: serving %s: %w", s.what, err))
}
