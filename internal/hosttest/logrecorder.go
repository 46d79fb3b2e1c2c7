package hosttest

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// LogRecorder is a slog.Handler that keeps every record it handles, with
// the attributes and groups of its WithAttrs and WithGroup, as LogEntry
// values a test compares with go-cmp. It is safe for concurrent use;
// handlers derived from it share its entries.
type LogRecorder struct {
	store *logStore
	level slog.Level
	goas  []groupOrAttrs
}

type logStore struct {
	mu      sync.Mutex
	entries []LogEntry
}

type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

// LogEntry is a record as a LogRecorder kept it.
type LogEntry struct {
	Time  time.Time
	Level slog.Level
	Msg   string
	Attrs []LogAttr
}

// LogAttr is an attribute: Kind is the slog kind's name ("String",
// "Int64", "Group"...) or "error" for an error, whose Value is then its
// message; a group has its members in Group and no Value.
type LogAttr struct {
	Key   string
	Kind  string
	Value any
	Group []LogAttr
}

// NewLogRecorder returns a recorder of the records at level and above.
func NewLogRecorder(level slog.Level) *LogRecorder {
	return &LogRecorder{store: &logStore{}, level: level}
}

// Entries returns a copy of the entries kept so far, in the order handled.
func (h *LogRecorder) Entries() []LogEntry {
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	return slices.Clone(h.store.entries)
}

func (h *LogRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *LogRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return h.with(groupOrAttrs{attrs: slices.Clone(as)})
}

func (h *LogRecorder) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(groupOrAttrs{group: name})
}

func (h *LogRecorder) with(g groupOrAttrs) *LogRecorder {
	c := *h
	c.goas = append(slices.Clip(h.goas), g)
	return &c
}

func (h *LogRecorder) Handle(_ context.Context, r slog.Record) error {
	var inner []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		inner = append(inner, a)
		return true
	})
	for i := len(h.goas) - 1; i >= 0; i-- {
		if g := h.goas[i]; g.group != "" {
			inner = []slog.Attr{slog.Group(g.group, attrsAny(inner)...)}
		} else {
			inner = append(slices.Clip(g.attrs), inner...)
		}
	}
	e := LogEntry{Time: r.Time, Level: r.Level, Msg: r.Message, Attrs: LogAttrs(inner)}
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	h.store.entries = append(h.store.entries, e)
	return nil
}

func attrsAny(as []slog.Attr) []any {
	out := make([]any, len(as))
	for i, a := range as {
		out[i] = a
	}
	return out
}

// LogAttrs converts attributes, resolved, to their comparable form.
// Empty groups are left out, as handlers do.
func LogAttrs(as []slog.Attr) []LogAttr {
	var out []LogAttr
	for _, a := range as {
		v := a.Value.Resolve()
		switch {
		case v.Kind() == slog.KindGroup:
			if g := LogAttrs(v.Group()); len(g) > 0 {
				out = append(out, LogAttr{Key: a.Key, Kind: "Group", Group: g})
			}
		case v.Kind() == slog.KindAny && isError(v.Any()):
			out = append(out, LogAttr{Key: a.Key, Kind: "error", Value: v.Any().(error).Error()})
		default:
			out = append(out, LogAttr{Key: a.Key, Kind: v.Kind().String(), Value: v.Any()})
		}
	}
	return out
}

func isError(x any) bool {
	_, ok := x.(error)
	return ok
}
