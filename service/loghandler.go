package service

import (
	"context"
	"log/slog"
	"runtime"
	"slices"

	"github.com/hostcall/hostcall/internal/logrec"
)

// logHandler is the slog.Handler of LogHandler: it encodes each record at
// once, in the logging goroutine, and hands it to the client's sink.
type logHandler struct {
	sink *logSink
	opts slog.HandlerOptions
	goas []groupOrAttrs // WithGroup and WithAttrs, in order
}

// groupOrAttrs is one WithGroup (group set) or WithAttrs (attrs cleaned).
type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

func newLogHandler(sink *logSink, opts *slog.HandlerOptions) *logHandler {
	h := &logHandler{sink: sink}
	if opts != nil {
		h.opts = *opts
	}
	return h
}

func (h *logHandler) Enabled(_ context.Context, level slog.Level) bool {
	min := slog.LevelInfo
	if h.opts.Level != nil {
		min = h.opts.Level.Level()
	}
	return level >= min
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(groupOrAttrs{group: name})
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var clean []slog.Attr
	groups := h.groups()
	for _, a := range as {
		clean = h.appendClean(clean, a, groups)
	}
	if len(clean) == 0 {
		return h
	}
	return h.with(groupOrAttrs{attrs: clean})
}

func (h *logHandler) with(g groupOrAttrs) *logHandler {
	c := *h
	c.goas = append(slices.Clip(h.goas), g)
	return &c
}

// groups returns the names of the groups WithGroup opened.
func (h *logHandler) groups() []string {
	var gs []string
	for _, g := range h.goas {
		if g.group != "" {
			gs = append(gs, g.group)
		}
	}
	return gs
}

// Handle encodes r and queues it for the host; it never waits for the
// host. A record the queue has no room for is counted, and the count is
// sent once there is room.
func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	attrs := h.tree(r)
	if h.opts.AddSource && r.PC != 0 {
		attrs = append([]slog.Attr{source(r.PC)}, attrs...)
	}
	h.sink.add(logrec.AppendRecord(make([]byte, 0, 128+len(r.Message)), r.Time, r.Level, r.Message, attrs))
	return nil
}

// tree returns the attributes of r inside the groups and after the
// attributes of the handler, with empty groups left out as slog's handlers
// do.
func (h *logHandler) tree(r slog.Record) []slog.Attr {
	groups := h.groups()
	var inner []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		inner = h.appendClean(inner, a, groups)
		return true
	})
	for i := len(h.goas) - 1; i >= 0; i-- {
		g := h.goas[i]
		switch {
		case g.group == "":
			inner = append(slices.Clip(g.attrs), inner...)
		case len(inner) > 0:
			inner = []slog.Attr{{Key: g.group, Value: slog.GroupValue(inner...)}}
		}
	}
	return inner
}

// appendClean appends a as a handler outputs it: resolved, through
// ReplaceAttr (called with the groups it is in, for attributes that are
// not groups), left out when empty, a group without a key inlined.
func (h *logHandler) appendClean(dst []slog.Attr, a slog.Attr, groups []string) []slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Value.Kind() != slog.KindGroup && h.opts.ReplaceAttr != nil {
		a = h.opts.ReplaceAttr(groups, a)
		a.Value = a.Value.Resolve()
	}
	if a.Value.Kind() != slog.KindGroup {
		if a.Equal(slog.Attr{}) {
			return dst
		}
		return append(dst, a)
	}
	inner := groups
	if a.Key != "" {
		inner = append(slices.Clip(groups), a.Key)
	}
	var members []slog.Attr
	for _, m := range a.Value.Group() {
		members = h.appendClean(members, m, inner)
	}
	switch {
	case len(members) == 0:
		return dst
	case a.Key == "":
		return append(dst, members...)
	}
	return append(dst, slog.Attr{Key: a.Key, Value: slog.GroupValue(members...)})
}

// source is the group slog's handlers write for AddSource.
func source(pc uintptr) slog.Attr {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return slog.Group(slog.SourceKey, slog.String("function", f.Function), slog.String("file", f.File), slog.Int("line", f.Line))
}
