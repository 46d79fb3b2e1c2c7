package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

type point struct{ X, Y int }

// TestDecodeValueErrorSaysWhatCame: the messages of decode failures say
// what was wanted and what came, in clean text, with neither the codec's
// function names nor its dump of the input. Issue 11: "readUint64:
// unexpected character: \xff, error found in #2 byte of ...|["42"]|...".
func TestDecodeValueErrorSaysWhatCame(t *testing.T) {
	tests := []struct {
		into any
		raw  string
		want string
	}{
		{0, `"42"`, `want int, got string "42"`},
		{0, `1.5`, `want int, got number 1.5`},
		{0, `99999999999999999999999`, `want int, got number 99999999999999999999999`},
		{int8(0), `300`, `want int8, got number 300`},
		{"", `7`, `want string, got number 7`},
		{"", `[1,2]`, `want string, got array [1,2]`},
		{0, "\"a\xffb\\u0001\"", `want int, got string "a\xffb\u0001"`},
		{0, `"` + strings.Repeat("é", 40) + `"`, `want int, got string "` + strings.Repeat("é", 31) + `... (82 bytes)`},
		{point{}, `{"X":"a"}`, `want int at X, got string, in object {"X":"a"}`},
		{[]int{}, `[1,"a"]`, `want int, got string, in array [1,"a"]`},
		{[]byte{}, `"three"`, `illegal base64 data at input byte 4, in string "three"`},
		{false, `{}`, `want bool, got object {}`},
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.into)
		v := reflect.New(typ)
		iter := JSON.BorrowIterator([]byte(tt.raw))
		iter.ReadVal(v.Interface())
		err := iter.Error
		JSON.ReturnIterator(iter)
		if err == nil {
			t.Fatalf("%s into %v: the codec took it", tt.raw, typ)
		}
		got := DecodeValueError(typ, []byte(tt.raw), err)
		if got != tt.want {
			t.Errorf("%s into %v:\n got %s\nwant %s\n(the codec said %q)", tt.raw, typ, got, tt.want, err)
		}
		checkClean(t, got)
	}
}

func TestDecodeErrorOfTheCodecIsClean(t *testing.T) {
	for _, raw := range []string{`["x"]`, "[\xff]", `{"a":` + strings.Repeat("[", 20000), `[1,,2]`, `{"a" 1}`, "[\"a\x01\"]"} {
		var v struct{ A []int }
		iter := JSON.BorrowIterator([]byte(raw))
		iter.ReadVal(&v)
		err := iter.Error
		JSON.ReturnIterator(iter)
		if err == nil {
			var w []int
			iter := JSON.BorrowIterator([]byte(raw))
			iter.ReadVal(&w)
			err = iter.Error
			JSON.ReturnIterator(iter)
		}
		if err == nil {
			t.Fatalf("%.80q: no error", raw)
		}
		msg := DecodeError(err)
		checkClean(t, msg)
		if strings.Contains(msg, "error found in") || strings.Contains(msg, "Read") || strings.Contains(msg, "read") {
			t.Errorf("%.80q: message %q shows the codec's internals (it said %.200q)", raw, msg, err)
		}
	}
	var te *json.UnmarshalTypeError
	err := json.Unmarshal([]byte(`{"X":"a"}`), new(point))
	if !errors.As(err, &te) {
		t.Fatal(err)
	}
	if got, want := DecodeError(err), "want int at X, got string"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPrintable(t *testing.T) {
	for _, tt := range []struct{ in, bare, quoted string }{
		{"faults", "faults", "faults"},
		{"é \"x\"", "é \"x\"", "é \"x\""},
		{"fa\xffults", `fa\xffults`, `"fa\xffults"`},
		{"a\nb\x7f\x00", `a\nb\x7f\x00`, `"a\nb\x7f\x00"`},
		{"say \"\x01\"", `say "\x01"`, `"say \"\x01\""`},
	} {
		if got := Printable(tt.in, false); got != tt.bare {
			t.Errorf("Printable(%q, false) = %q, want %q", tt.in, got, tt.bare)
		}
		if got := Printable(tt.in, true); got != tt.quoted {
			t.Errorf("Printable(%q, true) = %q, want %q", tt.in, got, tt.quoted)
		}
	}
}

func checkClean(t *testing.T, msg string) {
	t.Helper()
	if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Errorf("message %q is not clean text", msg)
	}
}
