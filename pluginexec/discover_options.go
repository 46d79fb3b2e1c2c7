package pluginexec

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"
)

// DefaultInfoTimeout is how long an info run may take unless
// WithInfoTimeout says otherwise.
const DefaultInfoTimeout = 10 * time.Second

// DiscoverOption configures NewPlugin and DiscoverPlugins. Every ExecOption
// is a DiscoverOption: of those, the executor (WithExecutor), environment
// (WithEnv), stderr writer (WithStderr), grace period (WithGracePeriod),
// checksum (WithChecksum) and credential (WithCredential) apply to info
// runs; the others only matter to Exec. Several ExecOptions can be passed
// as one with WithExecOptions.
type DiscoverOption interface {
	applyDiscover(*discoverConfig)
}

type discoverConfig struct {
	exec        *ExecConfig
	globs       []string
	handler     func(path string, err error) error
	parallelism int
	infoTimeout time.Duration
	logger      *slog.Logger // nil: no log
}

// discoverOption is a DiscoverOption that is not also an ExecOption.
type discoverOption func(*discoverConfig)

func (o discoverOption) applyDiscover(c *discoverConfig) { o(c) }

func (o ExecOption) applyDiscover(c *discoverConfig) {
	if o != nil {
		o(c.exec)
	}
}

func newDiscoverConfig(opts []DiscoverOption) (*discoverConfig, error) {
	c := &discoverConfig{
		exec:        newExecConfig(nil),
		handler:     skipFailure,
		parallelism: runtime.NumCPU(),
		infoTimeout: DefaultInfoTimeout,
	}
	for _, o := range opts {
		if o != nil {
			o.applyDiscover(c)
		}
	}
	for _, g := range c.globs {
		if _, err := filepath.Match(g, ""); err != nil {
			return nil, fmt.Errorf("pluginexec: glob %q: %w", g, err)
		}
	}
	return c, nil
}

// skipFailure is the default discovery handler: a file that is not a
// working plugin is left out.
func skipFailure(string, error) error { return nil }

// WithGlob makes DiscoverPlugins consider only files whose base name
// matches pattern (filepath.Match syntax). With several, a file matching
// any of them is considered.
func WithGlob(pattern string) DiscoverOption {
	return discoverOption(func(c *discoverConfig) { c.globs = append(c.globs, pattern) })
}

// WithDiscoverHandler sets the function DiscoverPlugins calls, one call at
// a time, for each candidate that is not a working plugin and for each
// directory it cannot read. Returning nil skips it (the default); returning
// an error stops discovery, which then returns that error.
func WithDiscoverHandler(h func(path string, err error) error) DiscoverOption {
	return discoverOption(func(c *discoverConfig) {
		if h == nil {
			h = skipFailure
		}
		c.handler = h
	})
}

// WithDiscoverParallelism bounds how many info runs DiscoverPlugins has in
// flight (one per CPU by default, and when n < 1).
func WithDiscoverParallelism(n int) DiscoverOption {
	return discoverOption(func(c *discoverConfig) {
		if n < 1 {
			n = runtime.NumCPU()
		}
		c.parallelism = n
	})
}

// WithInfoTimeout bounds the time an info run may take (DefaultInfoTimeout
// by default); zero or less means no bound beyond the context's. A plugin
// that overruns it is stopped like a cancelled one.
func WithInfoTimeout(d time.Duration) DiscoverOption {
	return discoverOption(func(c *discoverConfig) { c.infoTimeout = d })
}

// WithDiscoverLogger makes DiscoverPlugins log, at level Debug on l, each
// file it leaves out and why: a file that is not an executable regular
// file, a candidate whose info run failed or whose manifest was refused,
// a directory it cannot read (the last two when the discover handler
// skips them). Each record has the message "pluginexec: skipped" and the
// attributes path and reason. Files that match no glob (WithGlob) are not
// logged. By default nothing is logged; WithDiscoverHandler sees the
// failures either way.
func WithDiscoverLogger(l *slog.Logger) DiscoverOption {
	return discoverOption(func(c *discoverConfig) { c.logger = l })
}
