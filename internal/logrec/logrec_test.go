package logrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hostcall/hostcall/internal/hosttest"
)

func attrsOf(r slog.Record) []hosttest.LogAttr {
	var as []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		as = append(as, a)
		return true
	})
	return hosttest.LogAttrs(as)
}

type textValue struct{ s string }

func (v textValue) MarshalJSON() ([]byte, error) { return json.Marshal("text:" + v.s) }

type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return []byte("{not json"), nil }

func TestRoundTrip(t *testing.T) {
	when := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.FixedZone("X", 3600))
	attrs := []slog.Attr{
		slog.String("s", "quote\" newline\n nul\x00 é \u2028"),
		slog.Int64("i", math.MinInt64),
		slog.Uint64("u", math.MaxUint64),
		slog.Uint64("small", 3),
		slog.Float64("f", 1),
		slog.Float64("tiny", 1e-300),
		slog.Float64("nan", math.NaN()),
		slog.Float64("inf", math.Inf(1)),
		slog.Float64("-inf", math.Inf(-1)),
		slog.Bool("b", true),
		slog.Duration("d", 1500*time.Millisecond),
		slog.Time("t", when),
		slog.Any("err", errors.New("boom")),
		slog.Any("map", map[string]int{"a": 1}),
		slog.Any("json", textValue{"x"}),
		slog.Any("bad", badJSON{}),
		slog.Any("nil", nil),
		slog.Group("g", slog.Int("x", 1), slog.Group("h", slog.String("y", "z"))),
		slog.String("", "empty key"),
	}
	b := AppendRecord(nil, when, slog.LevelWarn+2, "hello\tworld", attrs)
	if !json.Valid(b) || bytes.ContainsAny(b, "\n") {
		t.Fatalf("not one line of JSON: %s", b)
	}
	r, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Time.Equal(when) || r.Level != slog.LevelWarn+2 || r.Message != "hello\tworld" {
		t.Errorf("record %v %v %q", r.Time, r.Level, r.Message)
	}
	want := hosttest.LogAttrs(attrs)
	for i := range want {
		switch want[i].Key {
		case "map": // as encoding/json decodes it into an any
			want[i].Value = map[string]any{"a": float64(1)}
		case "json":
			want[i] = hosttest.LogAttr{Key: "json", Kind: "String", Value: "text:x"}
		case "bad": // encoding/json refuses the method's output: fmt's form
			want[i] = hosttest.LogAttr{Key: "bad", Kind: "String", Value: "{}"}
		}
	}
	if diff := cmp.Diff(want, attrsOf(r), cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("attributes (-want +got):\n%s\nfrom %s", diff, b)
	}
}

func TestDecodeLenient(t *testing.T) {
	r, err := Decode([]byte(`{"msg":"m","level":"ERROR+1","future":{"x":[1]},"attrs":[{"kind":"later","value":[1,"a"],"key":"k","extra":1},{"key":"n","value":12345678901234567890}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []hosttest.LogAttr{
		{Key: "k", Kind: "Any", Value: []any{float64(1), "a"}},
		{Key: "n", Kind: "Uint64", Value: uint64(12345678901234567890)},
	}
	if r.Level != slog.LevelError+1 || r.Message != "m" || !r.Time.IsZero() {
		t.Errorf("record %v %v %q", r.Time, r.Level, r.Message)
	}
	if diff := cmp.Diff(want, attrsOf(r)); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	r, err = Decode([]byte(`{"msg":"no level"}`))
	if err != nil || r.Level != slog.LevelInfo {
		t.Errorf("a record without a level: %v, %v", r.Level, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		`[1]`:                   "not a JSON object",
		`null`:                  "not a JSON object",
		`{"msg":1}`:             "msg: want a string",
		`{"level":"LOUD"}`:      `level "LOUD"`,
		`{"level":1.5}`:         "level 1.5: want an integer",
		`{"level":true}`:        "level: want a number or a string",
		`{"time":"yesterday"}`:  `time "yesterday": want RFC 3339`,
		`{"attrs":{}}`:          "attrs: want an array",
		`{"attrs":[1]}`:         "attribute: want an object",
		`{"attrs":[{"key":1}]}`: "key: want a string",
		`{"attrs":[{"key":"d","value":"1s","kind":"duration"}]}`: `attribute "d": want integer nanoseconds`,
		`{"attrs":[{"key":"u","value":-1,"kind":"uint64"}]}`:     `attribute "u": want an unsigned integer`,
		`{"attrs":[{"key":"t","value":1,"kind":"time"}]}`:        `attribute "t": want an RFC 3339 string`,
		`{"attrs":[{"key":"f","value":"x","kind":"float64"}]}`:   `attribute "f": want a number, "NaN"`,
		`{"attrs":[{"key":"e","value":1,"kind":"error"}]}`:       `attribute "e": want a string`,
		`{"msg":"x"`: "log record: ",
	} {
		_, err := Decode([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%s) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestParseLine(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l.With("a", 1).WithGroup("g").With("b", "two").Debug("hello", "c", 2.5, slog.Group("h", "d", true), "e", nil, "f", []int{1})
	before := time.Now()
	r, ok := ParseLine(buf.Bytes())
	if !ok {
		t.Fatalf("ParseLine(%s) refused it", buf.Bytes())
	}
	if r.Level != slog.LevelDebug || r.Message != "hello" || r.Time.After(before) || before.Sub(r.Time) > time.Minute {
		t.Errorf("record %v %v %q", r.Time, r.Level, r.Message)
	}
	want := []hosttest.LogAttr{
		{Key: "a", Kind: "Int64", Value: int64(1)},
		{Key: "g", Kind: "Group", Group: []hosttest.LogAttr{
			{Key: "b", Kind: "String", Value: "two"},
			{Key: "c", Kind: "Float64", Value: 2.5},
			{Key: "h", Kind: "Group", Group: []hosttest.LogAttr{{Key: "d", Kind: "Bool", Value: true}}},
			{Key: "e", Kind: "Any", Value: nil},
			{Key: "f", Kind: "Any", Value: []any{float64(1)}},
		}},
	}
	if diff := cmp.Diff(want, attrsOf(r)); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	for _, s := range []string{
		"plain words",
		"{}",
		`{"msg":"no level"}`,
		`{"level":"INFO"}`,
		`{"level":"LOUD","msg":"x"}`,
		`{"level":"INFO","msg":"x"} trailing`,
		`{"level":"INFO","msg":"x"`,
		`{"level":4,"msg":"x"}`,
		`[{"level":"INFO","msg":"x"}]`,
	} {
		if r, ok := ParseLine([]byte(s)); ok {
			t.Errorf("ParseLine(%s) = %v, want false", s, r)
		}
	}
	r, ok = ParseLine([]byte(` {"level":"WARN","msg":"m","time":"soon","level":"x"}` + "\r\n"))
	want = []hosttest.LogAttr{{Key: "time", Kind: "String", Value: "soon"}, {Key: "level", Kind: "String", Value: "x"}}
	if !ok || r.Level != slog.LevelWarn || !r.Time.IsZero() {
		t.Fatalf("ParseLine with a bad time: %v, %v", r, ok)
	}
	if diff := cmp.Diff(want, attrsOf(r)); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
}

// FuzzDecode decodes arbitrary bytes as a record: it must not panic, and
// what it accepts must encode and decode back to the same record.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"time":"2025-01-02T03:04:05Z","level":4,"msg":"m","attrs":[{"key":"a","value":1},{"key":"g","group":[{"key":"d","value":5,"kind":"duration"}]}]}`))
	f.Add([]byte(`{"level":"INFO","attrs":[{"key":"f","value":"NaN","kind":"float64"},{"key":"e","value":"x","kind":"error"}]}`))
	f.Add([]byte(`{"attrs":[{"key":"t","value":"2025-01-02T03:04:05.5+01:00","kind":"time"},{"key":"u","value":18446744073709551615,"kind":"uint64"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		var as []slog.Attr
		r.Attrs(func(a slog.Attr) bool {
			as = append(as, a)
			return true
		})
		b := AppendRecord(nil, r.Time, r.Level, r.Message, as)
		back, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(AppendRecord(Decode(%q))) = %v; encoded %s", data, err, b)
		}
		if !back.Time.Equal(r.Time) || back.Level != r.Level || back.Message != strings.ToValidUTF8(r.Message, "\ufffd") {
			t.Fatalf("round trip of %q: %v %v %q", data, back.Time, back.Level, back.Message)
		}
	})
}
