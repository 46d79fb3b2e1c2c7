package logrec

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"time"

	jsoniter "github.com/json-iterator/go"
)

// ParseLine reads a line that slog.JSONHandler wrote: a JSON object with a
// string "level" that names a level (INFO, WARN-2...) and a string "msg".
// "time", when it is an RFC 3339 string, is the record's time; every other
// member is an attribute, in order, an object being a group. It reports
// false for any other line.
func ParseLine(line []byte) (slog.Record, bool) {
	line = bytes.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || !json.Valid(line) {
		return slog.Record{}, false
	}
	it := codec.BorrowIterator(line)
	defer codec.ReturnIterator(it)
	var (
		t                  time.Time
		level              slog.Level
		msg                string
		haveLevel, haveMsg bool
		attrs              []slog.Attr
	)
	it.ReadObjectCB(func(it *jsoniter.Iterator, key string) bool {
		builtin := it.WhatIsNext() == jsoniter.StringValue &&
			(key == slog.TimeKey && t.IsZero() || key == slog.LevelKey && !haveLevel || key == slog.MessageKey && !haveMsg)
		if !builtin {
			attrs = append(attrs, lineAttr(it, key))
			return it.Error == nil
		}
		s := it.ReadString()
		switch key {
		case slog.TimeKey:
			var err error
			if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
				attrs = append(attrs, slog.String(key, s))
			}
		case slog.LevelKey:
			if haveLevel = level.UnmarshalText([]byte(s)) == nil; !haveLevel {
				attrs = append(attrs, slog.String(key, s))
			}
		case slog.MessageKey:
			msg, haveMsg = s, true
		}
		return true
	})
	if it.Error != nil || !haveLevel || !haveMsg {
		return slog.Record{}, false
	}
	r := slog.NewRecord(t, level, msg, 0)
	r.AddAttrs(attrs...)
	return r, true
}

// lineAttr reads the member key of a JSON line: an object is a group.
func lineAttr(it *jsoniter.Iterator, key string) slog.Attr {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return slog.Attr{Key: key, Value: readPlain(it).v}
	}
	var group []slog.Attr
	it.ReadObjectCB(func(it *jsoniter.Iterator, k string) bool {
		group = append(group, lineAttr(it, k))
		return it.Error == nil
	})
	return slog.Attr{Key: key, Value: slog.GroupValue(group...)}
}
