package pluginexec

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pluginTree writes a tree mixing good plugins, files that are not
// plugins, and broken plugins, and returns its root.
func pluginTree(t *testing.T, broken bool) string {
	t.Helper()
	root := t.TempDir()
	writeScript(t, root, "a/good1", envName+"=one")
	writeScript(t, root, "b/c/good2", envName+"=two")
	if err := os.Symlink(filepath.Join(root, "a/good1"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	notExec := writeScript(t, root, "notexec", envName+"=hidden")
	if err := os.Chmod(notExec, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "data.txt"), []byte("text"), 0o644); err != nil {
		t.Fatal(err)
	}
	if broken {
		writeScript(t, root, "bad", envInfo+"=badjson")
		writeScript(t, root, "d/hang", envInfo+"=hang")
	}
	return root
}

func pluginPaths(plugins []*Plugin) []string {
	var paths []string
	for _, p := range plugins {
		paths = append(paths, p.Path())
	}
	return paths
}

func TestDiscoverPlugins(t *testing.T) {
	noLeftovers(t)
	root := pluginTree(t, true)
	failed := map[string]error{} // no lock: handler calls are serialized, -race checks it
	plugins, err := DiscoverPlugins(testContext(t), root,
		WithInfoTimeout(hangTimeout), WithGracePeriod(100*time.Millisecond),
		WithStderr(testWriter{t}),
		WithDiscoverHandler(func(path string, err error) error {
			failed[path] = err
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(root, "a/good1"), filepath.Join(root, "b/c/good2"), filepath.Join(root, "link"),
	}
	if diff := cmp.Diff(want, pluginPaths(plugins)); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
	if names := []string{plugins[0].Name, plugins[1].Name, plugins[2].Name}; !slices.Equal(names, []string{"one", "two", "one"}) {
		t.Errorf("names %q", names)
	}
	var me *ManifestError
	if err := failed[filepath.Join(root, "bad")]; !errors.As(err, &me) {
		t.Errorf("bad: %v", err)
	}
	if err := failed[filepath.Join(root, "d/hang")]; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: %v", err)
	}
	if len(failed) != 2 {
		t.Errorf("handler got %d failures, want 2: %v", len(failed), failed)
	}
}

func TestDiscoverPluginsDefaultSkips(t *testing.T) {
	noLeftovers(t)
	root := pluginTree(t, false)
	writeScript(t, root, "bad", envInfo+"=version")
	plugins, err := DiscoverPlugins(testContext(t), root, WithStderr(testWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	if len(plugins) != 3 {
		t.Errorf("got %q", pluginPaths(plugins))
	}
}

func TestDiscoverPluginsGlobExecutorParallelism(t *testing.T) {
	noLeftovers(t)
	root := pluginTree(t, false)
	writeScript(t, root, "good3", envName+"=three")
	var running, most atomic.Int32
	var ran sync.Map
	count := func(ctx context.Context, p *Process) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		ran.Store(p.Path, p.Args)
		return DefaultExecutor(ctx, p)
	}
	plugins, err := DiscoverPlugins(testContext(t), root, WithGlob("good*"), WithGlob("nomatch"),
		WithExecutor(count), WithDiscoverParallelism(1))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "a/good1"), filepath.Join(root, "b/c/good2"), filepath.Join(root, "good3")}
	if diff := cmp.Diff(want, pluginPaths(plugins)); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
	for _, p := range want {
		if args, ok := ran.Load(p); !ok || !slices.Equal(args.([]string), []string{"info"}) {
			t.Errorf("executor ran %s with %v", p, args)
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d info runs at once with parallelism 1", most.Load())
	}
}

func TestDiscoverPluginsHandlerStops(t *testing.T) {
	noLeftovers(t)
	root := pluginTree(t, true)
	stop := errors.New("stop")
	plugins, err := DiscoverPlugins(testContext(t), root, WithInfoTimeout(hangTimeout),
		WithGracePeriod(100*time.Millisecond), WithStderr(testWriter{t}),
		WithDiscoverHandler(func(string, error) error { return stop }))
	if !errors.Is(err, stop) || plugins != nil {
		t.Errorf("got %v, %v", pluginPaths(plugins), err)
	}
}

func TestDiscoverPluginsErrors(t *testing.T) {
	noLeftovers(t)
	if _, err := DiscoverPlugins(context.Background(), filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing root: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DiscoverPlugins(ctx, pluginTree(t, false)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := DiscoverPlugins(context.Background(), t.TempDir(), WithGlob("[")); err == nil {
		t.Error("bad glob accepted")
	}
}

// recordHandler is a slog.Handler that keeps the path and reason of each
// record.
type recordHandler struct {
	mu      sync.Mutex
	skipped map[string]string // path relative to root -> reason
	root    string
	levels  []slog.Level
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var path, reason string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "path":
			path, _ = filepath.Rel(h.root, a.Value.String())
		case "reason":
			reason = a.Value.String()
		}
		return true
	})
	h.skipped[r.Message+" "+path] = reason
	h.levels = append(h.levels, r.Level)
	return nil
}

func TestDiscoverLogger(t *testing.T) {
	noLeftovers(t)
	root := pluginTree(t, false)
	writeScript(t, root, "bad", envInfo+"=badjson")
	h := &recordHandler{skipped: map[string]string{}, root: root}
	plugins, err := DiscoverPlugins(testContext(t), root, WithStderr(testWriter{t}), WithDiscoverLogger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	if len(plugins) != 3 {
		t.Errorf("found %v, want the three good ones", pluginPaths(plugins))
	}
	const msg = "pluginexec: skipped "
	if len(h.skipped) != 3 || h.skipped[msg+"notexec"] != "not an executable regular file" ||
		h.skipped[msg+"data.txt"] != "not an executable regular file" ||
		!strings.Contains(h.skipped[msg+"bad"], "bad manifest") {
		t.Errorf("logged %q, want notexec and data.txt (not executable) and bad (its manifest)", h.skipped)
	}
	for _, l := range h.levels {
		if l != slog.LevelDebug {
			t.Errorf("logged at level %v, want Debug", l)
		}
	}
}
