package logrec

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/hostcall/hostcall/internal/wire"
)

// Where records travel: a plugin calls Namespace.Service with two
// arguments, the batch's number and an array of records.
const (
	Namespace = "hostcall.log"
	Service   = "write"
)

// BatchKey is the attribute that marks the stderr copy of a batch whose
// call failed, with the batch's number: the host keeps one copy of each
// record.
const BatchKey = "hostcall.batch"

// The record that reports records dropped because the sender's buffer was
// full: level WARN, message DroppedMessage, attribute DroppedKey (how many).
const (
	DroppedMessage = "log records dropped"
	DroppedKey     = "dropped"
)

// Kinds of the values whose JSON form does not say their type.
const (
	kindFloat    = "float64"
	kindUint     = "uint64"
	kindDuration = "duration"
	kindTime     = "time"
	kindError    = "error"
)

// AppendRecord appends the wire form of a record to dst:
//
//	{"time":"2006-01-02T15:04:05.999999999Z","level":0,"msg":"m","attrs":[...]}
//
// A zero t is left out. attrs must be what a handler outputs: values
// resolved, no empty attribute, no empty group, no group without a key.
func AppendRecord(dst []byte, t time.Time, level slog.Level, msg string, attrs []slog.Attr) []byte {
	dst = append(dst, '{')
	if !t.IsZero() {
		dst = append(dst, `"time":`...)
		dst = appendTime(dst, t)
		dst = append(dst, ',')
	}
	dst = append(dst, `"level":`...)
	dst = strconv.AppendInt(dst, int64(level), 10)
	dst = append(dst, `,"msg":`...)
	dst = wire.AppendString(dst, msg)
	if len(attrs) > 0 {
		dst = append(dst, `,"attrs":`...)
		dst = appendAttrs(dst, attrs)
	}
	return append(dst, '}')
}

// appendAttrs appends attrs as a JSON array of attribute objects.
func appendAttrs(dst []byte, attrs []slog.Attr) []byte {
	dst = append(dst, '[')
	for i, a := range attrs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendAttr(dst, a)
	}
	return append(dst, ']')
}

// appendAttr appends {"key":k,"value":v} with the value's kind when its
// JSON does not tell it, or {"key":k,"group":[...]}.
func appendAttr(dst []byte, a slog.Attr) []byte {
	dst = append(dst, `{"key":`...)
	dst = wire.AppendString(dst, a.Key)
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		dst = append(dst, `,"group":`...)
		return append(appendAttrs(dst, v.Group()), '}')
	}
	dst = append(dst, `,"value":`...)
	dst, kind := appendValue(dst, v)
	if kind != "" {
		dst = append(dst, `,"kind":"`...)
		dst = append(append(dst, kind...), '"')
	}
	return append(dst, '}')
}

// appendValue appends v's JSON and returns the kind to tag it with, ""
// when its JSON says it: a string, a bool, an integer that is an int64, or
// any other value as encoding/json writes it.
func appendValue(dst []byte, v slog.Value) ([]byte, string) {
	switch v.Kind() {
	case slog.KindString:
		return wire.AppendString(dst, v.String()), ""
	case slog.KindInt64:
		return strconv.AppendInt(dst, v.Int64(), 10), ""
	case slog.KindUint64:
		return strconv.AppendUint(dst, v.Uint64(), 10), kindUint
	case slog.KindFloat64:
		return appendFloat(dst, v.Float64()), kindFloat
	case slog.KindBool:
		return strconv.AppendBool(dst, v.Bool()), ""
	case slog.KindDuration:
		return strconv.AppendInt(dst, int64(v.Duration()), 10), kindDuration
	case slog.KindTime:
		return appendTime(dst, v.Time()), kindTime
	}
	return appendAny(dst, v.Any())
}

// appendFloat writes f as a JSON number, or NaN and the infinities, which
// JSON has no number for, as the strings "NaN", "+Inf" and "-Inf".
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// appendAny writes an error as its message (kind error), anything else as
// encoding/json writes it (which checks what MarshalJSON methods return),
// or, when that fails, as the string fmt's %+v makes of it. A method that
// panics leaves "!PANIC: " and the panic's value.
func appendAny(dst []byte, x any) (out []byte, kind string) {
	defer func() {
		if r := recover(); r != nil {
			out, kind = wire.AppendString(dst, fmt.Sprintf("!PANIC: %v", r)), ""
		}
	}()
	if err, ok := x.(error); ok {
		return wire.AppendString(dst, err.Error()), kindError
	}
	b, err := json.Marshal(x)
	if err != nil {
		return wire.AppendString(dst, fmt.Sprintf("%+v", x)), ""
	}
	return append(dst, b...), ""
}
