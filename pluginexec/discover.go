package pluginexec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// DiscoverPlugins walks root and returns the plugins among its executable
// regular files (symbolic links to them included), ordered by path. It runs
// their info commands in parallel (WithDiscoverParallelism), each within
// the info timeout (WithInfoTimeout). A file that is not a working plugin
// goes to the discover handler, which skips it by default. Options are
// DiscoverOptions, including the ExecOptions that apply to info runs (see
// DiscoverOption).
func DiscoverPlugins(ctx context.Context, root string, opts ...DiscoverOption) ([]*Plugin, error) {
	cfg, err := newDiscoverConfig(opts)
	if err != nil {
		return nil, err
	}
	d := newDiscovery(ctx, root, cfg)
	werr := filepath.WalkDir(root, d.visit)
	d.wg.Wait()
	d.cancel()
	return d.result(ctx, werr)
}

// discovery is one DiscoverPlugins call in progress.
type discovery struct {
	ctx    context.Context // cancelled when the handler stops discovery
	cancel context.CancelFunc
	root   string
	cfg    *discoverConfig
	out    outputs
	sem    chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex // guards what follows, and calls of the handler
	plugins []*Plugin
	err     error // from the handler: discovery stopped
}

func newDiscovery(ctx context.Context, root string, cfg *discoverConfig) *discovery {
	ctx, cancel := context.WithCancel(ctx)
	return &discovery{
		ctx:    ctx,
		cancel: cancel,
		root:   root,
		cfg:    cfg,
		sem:    make(chan struct{}, cfg.parallelism),
	}
}

// visit is the filepath.WalkDirFunc: it starts an info run for each
// candidate.
func (d *discovery) visit(path string, e fs.DirEntry, err error) error {
	if err != nil {
		return d.walkError(path, err)
	}
	if d.ctx.Err() != nil {
		return filepath.SkipAll
	}
	if e.IsDir() || !d.matches(e.Name()) {
		return nil
	}
	if !executable(path, e) {
		d.skipped(path, errNotExecutable)
		return nil
	}
	if !d.acquire() {
		return filepath.SkipAll
	}
	d.wg.Add(1)
	go d.load(path)
	return nil
}

// walkError handles an error of the walk: fatal for the root, the
// handler's business elsewhere.
func (d *discovery) walkError(path string, err error) error {
	if path == d.root {
		return err
	}
	d.fail(path, err)
	if d.ctx.Err() != nil {
		return filepath.SkipAll
	}
	return nil
}

func (d *discovery) matches(name string) bool {
	if len(d.cfg.globs) == 0 {
		return true
	}
	return slices.ContainsFunc(d.cfg.globs, func(g string) bool {
		ok, _ := filepath.Match(g, name)
		return ok
	})
}

// executable reports whether path is, or links to, a regular file that
// someone may execute.
func executable(path string, e fs.DirEntry) bool {
	var info fs.FileInfo
	var err error
	if e.Type()&fs.ModeSymlink != 0 {
		info, err = os.Stat(path)
	} else {
		info, err = e.Info()
	}
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// acquire takes a slot for an info run, or reports false once discovery
// is stopped.
func (d *discovery) acquire() bool {
	select {
	case d.sem <- struct{}{}:
		return true
	case <-d.ctx.Done():
		return false
	}
}

// load runs info for path and records the plugin or the failure.
func (d *discovery) load(path string) {
	defer d.wg.Done()
	defer func() { <-d.sem }()
	p, err := loadPlugin(d.ctx, path, d.cfg, &d.out)
	if err != nil {
		d.fail(path, err)
		return
	}
	d.mu.Lock()
	d.plugins = append(d.plugins, p)
	d.mu.Unlock()
}

// fail hands a failure to the handler, unless discovery is already
// stopping, and stops discovery if the handler says so.
func (d *discovery) fail(path string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx.Err() != nil {
		return
	}
	if herr := d.cfg.handler(path, err); herr != nil {
		d.err = herr
		d.cancel()
		return
	}
	d.skipped(path, err)
}

// errNotExecutable is why a file that is not a candidate is left out.
var errNotExecutable = errors.New("not an executable regular file")

// skipped logs that path was left out, and why, if there is a logger.
func (d *discovery) skipped(path string, reason error) {
	if l := d.cfg.logger; l != nil {
		l.Debug("pluginexec: skipped", "path", path, "reason", reason)
	}
}

// result is what DiscoverPlugins returns once every run has ended.
func (d *discovery) result(ctx context.Context, werr error) ([]*Plugin, error) {
	switch {
	case d.err != nil:
		return nil, d.err
	case werr != nil:
		return nil, fmt.Errorf("pluginexec: discover: %w", werr)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("pluginexec: discover %s: %w", d.root, ctx.Err())
	}
	slices.SortFunc(d.plugins, func(a, b *Plugin) int { return strings.Compare(a.path, b.path) })
	return d.plugins, nil
}
