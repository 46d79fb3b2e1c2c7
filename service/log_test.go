package service_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/internal/logrec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// logHost is a host's log namespace that keeps the records it gets.
type logHost struct {
	mu      sync.Mutex
	records []slog.Record
	hold    chan struct{} // when not nil, calls wait until it is closed
}

func (h *logHost) registry() *registry.Registry {
	reg := registry.New()
	reg.AddService(logrec.Namespace, logrec.Service, func(ctx context.Context, batch uint64, records []json.RawMessage) error {
		if h.hold != nil {
			select {
			case <-h.hold:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, raw := range records {
			r, err := logrec.Decode(raw)
			if err != nil {
				return err
			}
			h.records = append(h.records, r)
		}
		return nil
	})
	return reg
}

func (h *logHost) got() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.records...)
}

// asMap is a record as testing/slogtest wants it.
func asMap(r slog.Record) map[string]any {
	m := map[string]any{slog.LevelKey: r.Level, slog.MessageKey: r.Message}
	if !r.Time.IsZero() {
		m[slog.TimeKey] = r.Time
	}
	r.Attrs(func(a slog.Attr) bool {
		addAttr(m, a)
		return true
	})
	return m
}

func addAttr(m map[string]any, a slog.Attr) {
	if a.Value.Kind() != slog.KindGroup {
		m[a.Key] = a.Value.Any()
		return
	}
	g := map[string]any{}
	for _, b := range a.Value.Group() {
		addAttr(g, b)
	}
	m[a.Key] = g
}

// The handler follows slog's rules for handlers, as records arrive at the
// host.
func TestLogHandlerSlogtest(t *testing.T) {
	var (
		c *service.Client
		h *logHost
	)
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		h = &logHost{}
		c = connect(t, h.registry())
		return c.LogHandler(nil)
	}, func(t *testing.T) map[string]any {
		if err := c.FlushLogs(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := h.got()
		if len(got) != 1 {
			t.Fatalf("%d records arrived, want 1", len(got))
		}
		return asMap(got[0])
	})
}

func TestLogHandlerOptions(t *testing.T) {
	h := &logHost{}
	c := connect(t, h.registry())
	l := slog.New(c.LogHandler(&slog.HandlerOptions{
		Level:     slog.LevelWarn,
		AddSource: true,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "secret":
				return slog.Attr{}
			case "path":
				return slog.String("path", strings.Join(groups, "."))
			}
			return a
		},
	}))
	l.Info("below the level")
	l.WithGroup("g").With("secret", 1, "path", "").Warn("kept", slog.Group("h", "path", "", "secret", 2))
	if err := c.FlushLogs(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := h.got()
	if len(got) != 1 {
		t.Fatalf("%d records, want 1", len(got))
	}
	m := asMap(got[0])
	src, _ := m["source"].(map[string]any)
	if fn, _ := src["function"].(string); !strings.HasSuffix(fn, "TestLogHandlerOptions") || src["line"] == nil {
		t.Errorf("source: %v", m["source"])
	}
	delete(m, "source")
	delete(m, "time")
	want := map[string]any{"level": slog.LevelWarn, "msg": "kept", "g": map[string]any{"path": "g", "h": map[string]any{"path": "g.h"}}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

// Records logged while the host does not take them are queued up to the
// bound, the others counted, and the count arrives once the host takes
// records again.
func TestLogHandlerCountsWhatItDrops(t *testing.T) {
	h := &logHost{hold: make(chan struct{})}
	c := connect(t, h.registry())
	l := slog.New(c.LogHandler(nil))
	const n = 20000
	start := time.Now()
	for i := range n {
		l.Info("n", "i", i)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("logging %d records with the host stalled took %v", n, d)
	}
	close(h.hold)
	if err := c.FlushLogs(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var dropped, reports int64
	for _, r := range h.got() {
		r.Attrs(func(a slog.Attr) bool {
			switch {
			case r.Message == "n" && a.Key == "i":
				seen[a.Value.Int64()] = true
			case r.Message == logrec.DroppedMessage && a.Key == logrec.DroppedKey && r.Level == slog.LevelWarn:
				dropped += a.Value.Int64()
				reports++
			}
			return true
		})
	}
	if dropped == 0 || reports != 1 || int64(len(seen))+dropped != n {
		t.Errorf("%d records arrived, %d reported dropped in %d reports; want %d in all, some dropped, in one report", len(seen), dropped, reports, n)
	}
	for i := range int64(len(seen)) { // the first ones, in order: the queue keeps the oldest
		if !seen[i] {
			t.Fatalf("record %d missing, though %d arrived", i, len(seen))
		}
	}
}

// A host without the log namespace gets the records on stderr, as JSON
// lines; so does a plugin whose connection is closed.
func TestLogHandlerFallsBackToStderr(t *testing.T) {
	for _, closed := range []bool{false, true} {
		c := connect(t, registry.New())
		var stderr hosttest.SyncBuffer
		service.SetLogStderr(c, &stderr)
		if closed {
			c.Close()
		}
		l := slog.New(c.LogHandler(nil))
		l.WithGroup("g").Info("one", "a", 1)
		l.Error("two")
		if err := c.FlushLogs(context.Background()); err != nil {
			t.Fatal(err)
		}
		var lines []string
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["time"] == nil {
				t.Errorf("line %q: %v", sc.Text(), err)
			}
			delete(m, "time")
			b, _ := json.Marshal(m)
			lines = append(lines, string(b))
		}
		want := []string{`{"g":{"a":1},"level":"INFO","msg":"one"}`, `{"level":"ERROR","msg":"two"}`}
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Errorf("closed %v: stderr lines (-want +got):\n%s", closed, diff)
		}
	}
}

// Close sends what is queued before it closes the connection, for a
// second at most, and writes the rest on stderr: nothing is lost.
func TestLogHandlerCloseFlushes(t *testing.T) {
	h := &logHost{}
	c := connect(t, h.registry())
	var stderr hosttest.SyncBuffer
	service.SetLogStderr(c, &stderr)
	l := slog.New(c.LogHandler(nil))
	for i := range 100 {
		l.Info("n", "i", i)
	}
	c.Close()
	seen := map[int64]bool{}
	for _, r := range h.got() {
		r.Attrs(func(a slog.Attr) bool {
			seen[a.Value.Int64()] = true
			return true
		})
	}
	onStderr := 0
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var line struct{ I int64 }
		if json.Unmarshal(sc.Bytes(), &line) == nil {
			seen[line.I] = true
			onStderr++
		}
	}
	if len(seen) != 100 {
		t.Errorf("%d of 100 records arrived or were written on stderr when Close returned", len(seen))
	}
	t.Logf("%d records reached the host, %d were written on stderr", len(h.got()), onStderr)
}
