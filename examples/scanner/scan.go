package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// config is what one scan needs.
type config struct {
	target     fs.FS  // the tree to scan
	targetName string // what it is, for messages
	pluginDir  string // the plugin binaries
	parallel   int    // plugin runs at once; < 1 means one per CPU
	bind       []host.BindOption
	maxRead    int64 // the largest file target.read returns (defaultMaxRead when 0)

	// log receives what the plugins log (their records, their stderr
	// lines, their stdout), one line per record prefixed with the plugin's
	// name (os.Stderr when nil).
	log io.Writer
}

// result is what a scan found.
type result struct {
	findings []scanapi.Finding // sorted by path, line, rule
	plugins  []string          // the plugins that ran, sorted
	elapsed  time.Duration     // discovering and running the plugins
}

// scan discovers the plugins of cfg.pluginDir and runs their scanner
// commands in parallel, each bound to its own registry layer: the shared
// target on top of which it gets a findings namespace of its own. What
// they log reaches cfg.log through host.WithLogger.
// When some plugins fail, scan returns what the others found and an error
// naming each failure.
func scan(ctx context.Context, cfg config) (*result, error) {
	start := time.Now()
	plugins, err := scanners(ctx, cfg.pluginDir)
	if err != nil {
		return nil, err
	}
	s, err := newSession(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts := []pluginexec.ExecOption{
		pluginexec.WithExecParallelism(cfg.parallel),
		pluginexec.WithExecGenerator(s.bind),
		// A plugin's stdout is not the table's: send it where its logs go.
		pluginexec.WithStdout(orStderr(cfg.log)),
	}
	runErr := pluginexec.Exec(ctx, pluginexec.IterateTyped(plugins, scanapi.CommandType), nil, opts...)
	r := &result{findings: s.findings.sorted(), elapsed: time.Since(start)}
	for _, p := range plugins {
		r.plugins = append(r.plugins, pluginName(p))
	}
	return r, runErr
}

// scanners discovers the plugins in dir that have commands of the scanner
// type. Two plugins may not share a name: the name is how the host tells
// their findings apart.
func scanners(ctx context.Context, dir string) ([]*pluginexec.Plugin, error) {
	all, err := pluginexec.DiscoverPlugins(ctx, dir)
	if err != nil {
		return nil, err
	}
	var plugins []*pluginexec.Plugin
	byName := map[string]string{}
	for _, p := range all {
		if !hasCommand(p, scanapi.CommandType) {
			continue
		}
		name := pluginName(p)
		if other, dup := byName[name]; dup {
			return nil, fmt.Errorf("plugins %s and %s are both called %q", other, p.Path(), name)
		}
		byName[name] = p.Path()
		plugins = append(plugins, p)
	}
	if len(plugins) == 0 {
		return nil, fmt.Errorf("no plugin in %s has a command of type %q", dir, scanapi.CommandType)
	}
	sort.Slice(plugins, func(i, j int) bool { return pluginName(plugins[i]) < pluginName(plugins[j]) })
	return plugins, nil
}

// pluginName is the name a plugin's findings and log lines carry: its
// manifest's name, or its file's when the manifest has none.
func pluginName(p *pluginexec.Plugin) string {
	if p.Name != "" {
		return p.Name
	}
	return filepath.Base(p.Path())
}

func hasCommand(p *pluginexec.Plugin, typ string) bool {
	for _, c := range p.Commands {
		if c.Type == typ {
			return true
		}
	}
	return false
}

// session is the host side of one scan: the shared registry layer, what
// the plugins' own layers report to, and how they are bound: with the
// transport of cfg.bind and a logger that prints their records.
type session struct {
	shared   *registry.Registry
	findings *findings
	bindOpts []host.BindOption
}

func newSession(ctx context.Context, cfg config) (*session, error) {
	t := &target{name: cfg.targetName, fsys: cfg.target, maxRead: cfg.maxRead}
	if t.maxRead <= 0 {
		t.maxRead = defaultMaxRead
	}
	logger := slog.New(newLineHandler(orStderr(cfg.log), slog.LevelInfo))
	s := &session{
		shared:   registry.New(),
		findings: &findings{target: t},
		bindOpts: append(cfg.bind[:len(cfg.bind):len(cfg.bind)], host.WithLogger(logger)),
	}
	if err := t.define(ctx, s.shared); err != nil {
		return nil, err
	}
	return s, nil
}

// layer returns the registry of one run of the plugin called name: it
// inherits the shared target and holds the findings namespace, which knows
// the plugin's name.
func (s *session) layer(name string) *registry.Registry {
	l := s.shared.Inherit()
	s.findings.define(l, name)
	return l
}

// bind is the ExecGenerator that serves each run its own layer.
func (s *session) bind(p *pluginexec.Plugin, _ *pluginexec.Command) pluginexec.ExecOption {
	return host.Bind(s.layer(pluginName(p)), s.bindOpts...)
}

func orStderr(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}
