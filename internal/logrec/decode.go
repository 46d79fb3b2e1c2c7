package logrec

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/hostcall/hostcall/internal/wire"
)

var codec = jsoniter.ConfigCompatibleWithStandardLibrary

// Decode parses one record of the wire form (see AppendRecord). Members it
// does not know are skipped, and so are the kinds of values it does not
// know, which leave the value as its JSON says; a member of the wrong type
// is an error. A record without a level is at INFO.
func Decode(data []byte) (slog.Record, error) {
	d := decoder{it: codec.BorrowIterator(data)}
	defer codec.ReturnIterator(d.it)
	if d.it.WhatIsNext() != jsoniter.ObjectValue {
		return slog.Record{}, errors.New("log record: not a JSON object")
	}
	var (
		t     time.Time
		level slog.Level
		msg   string
		attrs []slog.Attr
	)
	d.it.ReadObjectCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "time":
			t = d.time(d.string("time"))
		case "level":
			level = d.level()
		case "msg":
			msg = d.string("msg")
		case "attrs":
			attrs = d.attrs()
		default:
			it.Skip()
		}
		return d.ok()
	})
	if err := d.error(); err != nil {
		return slog.Record{}, err
	}
	r := slog.NewRecord(t, level, msg, 0)
	r.AddAttrs(attrs...)
	return r, nil
}

// decoder reads one record with it, keeping the first error.
type decoder struct {
	it  *jsoniter.Iterator
	err error
}

func (d *decoder) ok() bool { return d.err == nil && d.it.Error == nil }

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, a...)
	}
}

func (d *decoder) error() error {
	if d.err != nil {
		return fmt.Errorf("log record: %w", d.err)
	}
	if d.it.Error != nil {
		return fmt.Errorf("log record: %s", wire.DecodeError(d.it.Error))
	}
	return nil
}

// string reads a JSON string, the value of member what.
func (d *decoder) string(what string) string {
	if d.it.WhatIsNext() != jsoniter.StringValue {
		d.fail("%s: want a string", what)
		d.it.Skip()
		return ""
	}
	return d.it.ReadString()
}

func (d *decoder) time(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d.fail("time %q: want RFC 3339", s)
	}
	return t
}

// level reads an integer on slog's scale, or a name such as "WARN" or
// "ERROR+2".
func (d *decoder) level() slog.Level {
	switch d.it.WhatIsNext() {
	case jsoniter.NumberValue:
		n := d.it.ReadNumber()
		l, err := strconv.ParseInt(string(n), 10, 32)
		if err != nil {
			d.fail("level %s: want an integer", n)
		}
		return slog.Level(l)
	case jsoniter.StringValue:
		var l slog.Level
		s := d.it.ReadString()
		if err := l.UnmarshalText([]byte(s)); err != nil {
			d.fail("level %q: want a number or a level name", s)
		}
		return l
	}
	d.fail("level: want a number or a string")
	d.it.Skip()
	return 0
}

// attrs reads an array of attribute objects.
func (d *decoder) attrs() []slog.Attr {
	if d.it.WhatIsNext() != jsoniter.ArrayValue {
		d.fail("attrs: want an array")
		d.it.Skip()
		return nil
	}
	var attrs []slog.Attr
	d.it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if a, ok := d.attr(); ok {
			attrs = append(attrs, a)
		}
		return d.ok()
	})
	return attrs
}

// attr reads {"key":k,"value":v,"kind":kind} or {"key":k,"group":[...]}.
func (d *decoder) attr() (slog.Attr, bool) {
	if d.it.WhatIsNext() != jsoniter.ObjectValue {
		d.fail("attribute: want an object")
		d.it.Skip()
		return slog.Attr{}, false
	}
	var (
		key, kind string
		value     plain
		group     []slog.Attr
		isGroup   bool
	)
	d.it.ReadObjectCB(func(it *jsoniter.Iterator, member string) bool {
		switch member {
		case "key":
			key = d.string("key")
		case "value":
			value = readPlain(it)
		case "kind":
			kind = d.string("kind")
		case "group":
			isGroup = true
			group = d.attrs()
		default:
			it.Skip()
		}
		return d.ok()
	})
	if !d.ok() {
		return slog.Attr{}, false
	}
	if isGroup {
		return slog.Attr{Key: key, Value: slog.GroupValue(group...)}, true
	}
	v, err := value.as(kind)
	if err != nil {
		d.fail("attribute %q: %v", key, err)
		return slog.Attr{}, false
	}
	return slog.Attr{Key: key, Value: v}, true
}

// plain is a JSON value as read: its text too, for a number, so that a
// kind can read it at full precision.
type plain struct {
	v   slog.Value
	num string // a number's text
	str string // a string's value
	typ jsoniter.ValueType
}

// readPlain reads any JSON value: a string, a bool, a number (an int64
// when it is an integer that fits, else a uint64, else a float64), null,
// or an array or object as encoding/json decodes it into an any.
func readPlain(it *jsoniter.Iterator) plain {
	p := plain{typ: it.WhatIsNext()}
	switch p.typ {
	case jsoniter.StringValue:
		p.str = it.ReadString()
		p.v = slog.StringValue(p.str)
	case jsoniter.NumberValue:
		p.num = string(it.ReadNumber())
		p.v = numberValue(p.num)
	case jsoniter.BoolValue:
		p.v = slog.BoolValue(it.ReadBool())
	case jsoniter.NilValue:
		it.ReadNil()
		p.v = slog.AnyValue(nil)
	default:
		p.v = slog.AnyValue(it.Read())
	}
	return p
}

// numberValue is the value of a JSON number without a kind.
func numberValue(s string) slog.Value {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return slog.Int64Value(n)
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return slog.Uint64Value(n)
		}
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf beyond float64's range
	return slog.Float64Value(f)
}

// as converts p to a value of kind, "" for what its JSON says.
func (p plain) as(kind string) (slog.Value, error) {
	switch kind {
	case kindFloat:
		return p.float()
	case kindUint:
		n, err := strconv.ParseUint(p.num, 10, 64)
		if p.typ != jsoniter.NumberValue || err != nil {
			return slog.Value{}, fmt.Errorf("want an unsigned integer for kind %s", kind)
		}
		return slog.Uint64Value(n), nil
	case kindDuration:
		n, err := strconv.ParseInt(p.num, 10, 64)
		if p.typ != jsoniter.NumberValue || err != nil {
			return slog.Value{}, fmt.Errorf("want integer nanoseconds for kind %s", kind)
		}
		return slog.DurationValue(time.Duration(n)), nil
	case kindTime:
		t, err := time.Parse(time.RFC3339Nano, p.str)
		if p.typ != jsoniter.StringValue || err != nil {
			return slog.Value{}, fmt.Errorf("want an RFC 3339 string for kind %s", kind)
		}
		return slog.TimeValue(t), nil
	case kindError:
		if p.typ != jsoniter.StringValue {
			return slog.Value{}, fmt.Errorf("want a string for kind %s", kind)
		}
		return slog.AnyValue(errors.New(p.str)), nil
	}
	return p.v, nil
}

// float reads a number, or "NaN", "+Inf" or "-Inf".
func (p plain) float() (slog.Value, error) {
	switch {
	case p.typ == jsoniter.NumberValue:
		f, _ := strconv.ParseFloat(p.num, 64)
		return slog.Float64Value(f), nil
	case p.str == "NaN":
		return slog.Float64Value(math.NaN()), nil
	case p.str == "+Inf":
		return slog.Float64Value(math.Inf(1)), nil
	case p.str == "-Inf":
		return slog.Float64Value(math.Inf(-1)), nil
	}
	return slog.Value{}, fmt.Errorf("want a number, \"NaN\", \"+Inf\" or \"-Inf\" for kind %s", kindFloat)
}
