package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hostcall/hostcall/internal/fdpipe"
	"github.com/hostcall/hostcall/opener"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// pipePair is the two OS pipes of one connection.
type pipePair struct {
	hostR, hostW     fdpipe.Conn // the host reads requests, writes responses
	pluginR, pluginW *os.File    // the plugin's ends
}

func newPipePair() (*pipePair, error) {
	pr, hw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("host: making pipes: %w", err)
	}
	hr, pw, err := os.Pipe()
	if err != nil {
		pr.Close()
		hw.Close()
		return nil, fmt.Errorf("host: making pipes: %w", err)
	}
	growPipe(hw)
	growPipe(pw)
	return &pipePair{hostR: fdpipe.Adopt(hr), hostW: fdpipe.Adopt(hw), pluginR: pr, pluginW: pw}, nil
}

// closePlugin closes the host's copies of the plugin's ends, those that
// handOff has not closed already, so the host reads EOF once the plugin's
// own copies are gone.
func (p *pipePair) closePlugin() {
	p.pluginR.Close()
	p.pluginW.Close()
}

func (p *pipePair) closeHost() {
	p.hostR.Close()
	p.hostW.Close()
}

// servePipes runs one plugin on a fresh pipe pair: announce says how the
// plugin finds its ends; inherited, that it gets them with its process.
func (cfg *bindConfig) servePipes(ctx context.Context, plug *pluginexec.Plugin, c *pluginexec.Command,
	next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry,
	inherited bool, announce func(*pipePair) (pluginexec.ExecOption, error)) error {
	p, err := newPipePair()
	if err != nil {
		return err
	}
	defer p.closeHost()
	opt, err := announce(p)
	if err != nil {
		p.closePlugin()
		return err
	}
	r := newFirstBytes(p.hostR)
	s := startSession(ctx, cfg, reg, plug, c, r, p.hostW)
	stopHandOff := p.handOff(r.arrived, inherited)
	runErr := next(ctx, opt)
	stopHandOff()
	p.closePlugin()
	return s.finish(runErr, cfg.teardown)
}

// WithAnonymousPipe binds through anonymous pipes that the plugin opens as
// file:///proc/<host pid>/fd/<n>: the default on Linux. The plugin must see
// the host's procfs, so it must share the host's PID namespace; plugins in
// containers use WithNamedPipes or WithInheritedPipes.
func WithAnonymousPipe() BindOption { return WithAnonymousPipeByProcFS("/proc") }

// WithAnonymousPipeByProcFS is WithAnonymousPipe with procfs mounted at
// procfs, as the plugin sees it.
func WithAnonymousPipeByProcFS(procfs string) BindOption {
	return func(c *bindConfig) {
		c.bind = func(cfg *bindConfig) BindFunc {
			return func(ctx context.Context, plug *pluginexec.Plugin, cmd *pluginexec.Command,
				next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry) error {
				if err := cfg.procfsOpenable(); err != nil {
					return err
				}
				return cfg.servePipes(ctx, plug, cmd, next, reg, false, func(p *pipePair) (pluginexec.ExecOption, error) {
					in, err := procfsURL(procfs, p.pluginR)
					if err != nil {
						return nil, err
					}
					out, err := procfsURL(procfs, p.pluginW)
					if err != nil {
						return nil, err
					}
					return cfg.hostArgs(in, out), nil
				})
			}
		}
	}
}

// procfsOpenable fails when WithPipeOwner names a user that may not open
// the host's /proc/<pid>/fd entries: not the host's, not root.
func (cfg *bindConfig) procfsOpenable() error {
	if o := cfg.owner; o != nil && o.uid != 0 && o.uid != os.Geteuid() {
		return fmt.Errorf("host: anonymous pipes through procfs: a plugin running as uid %d cannot open the host's /proc/%d/fd entries (only uid %d and root can): bind it with WithInheritedPipes or WithNamedPipes",
			o.uid, os.Getpid(), os.Geteuid())
	}
	return nil
}

func procfsURL(procfs string, f *os.File) (string, error) {
	fd, err := rawFD(f)
	if err != nil {
		return "", err
	}
	return opener.FileURL(filepath.Join(procfs, strconv.Itoa(os.Getpid()), "fd", strconv.Itoa(fd))), nil
}

// rawFD returns f's descriptor without switching it to blocking mode, as
// f.Fd would.
func rawFD(f *os.File) (int, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("host: descriptor of %s: %w", f.Name(), err)
	}
	fd := -1
	if err := sc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return 0, fmt.Errorf("host: descriptor of %s: %w", f.Name(), err)
	}
	return fd, nil
}

// WithInheritedPipes binds through pipes the plugin inherits as descriptors
// (fd://N URLs, N from 3 up after any other extra files). It works across
// PID namespaces and exposes nothing in /proc; the default where there is
// no procfs.
func WithInheritedPipes() BindOption {
	return func(c *bindConfig) {
		c.bind = func(cfg *bindConfig) BindFunc {
			return func(ctx context.Context, plug *pluginexec.Plugin, cmd *pluginexec.Command,
				next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry) error {
				return cfg.servePipes(ctx, plug, cmd, next, reg, true, func(p *pipePair) (pluginexec.ExecOption, error) {
					return func(ec *pluginexec.ExecConfig) {
						first := 3 + ec.NumExtraFiles()
						pluginexec.WithExtraFiles(p.pluginR, p.pluginW)(ec)
						cfg.hostArgs(opener.FDURL(first), opener.FDURL(first+1))(ec)
					}, nil
				})
			}
		}
	}
}
