package pluginexec

import (
	"context"
	"fmt"
	"path/filepath"
)

// maxManifestSize bounds the output of info that is read as the manifest.
const maxManifestSize = 1 << 20

// Plugin is a plugin binary and the manifest it reported.
type Plugin struct {
	Manifest
	path string
}

// Path returns the path the plugin was found at and is run by.
func (p *Plugin) Path() string { return p.path }

// displayName is the name that prefixes the plugin's stderr lines.
func (p *Plugin) displayName() string {
	if p.Name != "" {
		return p.Name
	}
	return filepath.Base(p.path)
}

// NewPlugin runs `path info` and returns the plugin it describes. The info
// run uses the executor, environment, stderr writer, grace period,
// checksum and credential of the ExecOptions among opts, and must end within the info timeout
// (WithInfoTimeout). An error names path and what was wrong: an *ExitError
// when info failed, a *ManifestError when its manifest is refused; both carry
// the tail of the plugin's stderr.
func NewPlugin(ctx context.Context, path string, opts ...DiscoverOption) (*Plugin, error) {
	cfg, err := newDiscoverConfig(opts)
	if err != nil {
		return nil, err
	}
	return loadPlugin(ctx, path, cfg, &outputs{})
}

// loadPlugin runs `path info` and decodes its manifest.
func loadPlugin(ctx context.Context, path string, cfg *discoverConfig, out *outputs) (*Plugin, error) {
	if cfg.infoTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.infoTimeout)
		defer cancel()
	}
	stdout := &limitedBuffer{limit: maxManifestSize}
	run := processRun{
		cfg:     infoConfig(cfg.exec),
		name:    filepath.Base(path),
		path:    path,
		command: []string{InfoCommand},
		args:    []string{InfoCommand},
		out:     out,
	}
	tail, err := run.run(ctx, stdout)
	if err != nil {
		return nil, err
	}
	m, err := manifestOf(stdout)
	if err != nil {
		return nil, &ManifestError{Path: path, StderrTail: tail, Err: err}
	}
	return &Plugin{Manifest: m, path: path}, nil
}

// manifestOf decodes the manifest in the output of info.
func manifestOf(stdout *limitedBuffer) (Manifest, error) {
	if stdout.dropped > 0 {
		return Manifest{}, fmt.Errorf("larger than %d bytes", maxManifestSize)
	}
	return decodeManifest(stdout.buf)
}

// infoConfig is the part of an Exec configuration that info runs use.
func infoConfig(c *ExecConfig) *ExecConfig {
	return &ExecConfig{
		executor:    c.executor,
		env:         c.env,
		stderr:      c.stderr,
		gracePeriod: c.gracePeriod,
		checksum:    c.checksum,
		credential:  c.credential,
	}
}
