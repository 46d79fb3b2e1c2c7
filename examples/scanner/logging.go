package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// lineHandler is the scanner's slog.Handler: one line per record on w,
//
//	hygiene: scanned files=9 findings=7
//	secrets: warn: skipping path=a.bin err="too large"
//
// the plugin's name first (the attribute plugin, which host.WithLogger
// adds; "scanner" for the host's own records), then the level unless it is
// INFO, the message and the attributes, groups as dotted keys. The
// attributes command and pid, which WithLogger adds too, are left out; a
// stack (a plugin's crash) follows on lines of its own. Lines of
// concurrent plugins never mix.
type lineHandler struct {
	mu     *sync.Mutex
	w      io.Writer
	level  slog.Level
	who    string
	attrs  string // the attributes of WithAttrs, formatted
	prefix string // the groups of WithGroup, as "g.h."
}

func newLineHandler(w io.Writer, level slog.Level) *lineHandler {
	return &lineHandler{mu: &sync.Mutex{}, w: w, level: level, who: "scanner"}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix += name + "."
	return &c
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	for _, a := range as {
		switch {
		case h.prefix == "" && a.Key == "plugin":
			c.who = a.Value.String()
		case h.prefix == "" && (a.Key == "command" || a.Key == "pid"):
		default:
			writeAttr(&b, h.prefix, a)
		}
	}
	c.attrs += b.String()
	return &c
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b, stack strings.Builder
	b.WriteString(h.who + ": ")
	if r.Level != slog.LevelInfo {
		b.WriteString(strings.ToLower(r.Level.String()) + ": ")
	}
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		if h.prefix == "" && a.Key == "stack" {
			for _, line := range strings.Split(a.Value.String(), "\n") {
				stack.WriteString("    " + line + "\n")
			}
			return true
		}
		writeAttr(&b, h.prefix, a)
		return true
	})
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String()+stack.String())
	return err
}

// writeAttr writes " key=value", or the members of a group with the
// group's key in front of theirs.
func writeAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, m := range v.Group() {
			writeAttr(b, prefix, m)
		}
		return
	}
	if a.Equal(slog.Attr{}) {
		return
	}
	fmt.Fprintf(b, " %s%s=%s", prefix, a.Key, quoteIfNeeded(v.String()))
}

// quoteIfNeeded quotes s when it is empty or holds spaces, quotes, equal
// signs or characters that are not printable.
func quoteIfNeeded(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '"' || r == '=' || !unicode.IsPrint(r)
	}) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
