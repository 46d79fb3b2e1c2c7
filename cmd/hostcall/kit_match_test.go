package main

import (
	"strings"
	"testing"
)

func TestMatchJSON(t *testing.T) {
	for _, tc := range []struct {
		want, got string
		diff      string // "" for a match, else a part of the difference
	}{
		{`{"a":1,"b":[true,null,"x"]}`, `{"b":[true,null,"x"],"a":1}`, ""},
		{`{"a":3}`, `{"a":3.0}`, ""},
		{`{"a":300}`, `{"a":3e2}`, ""},
		{`{"a":18446744073709551615}`, `{"a":18446744073709551614}`, "a: got 18446744073709551614, want 18446744073709551615"},
		{`{"s":"é<"}`, `{"s":"\u00e9\u003c"}`, ""},
		{`{"a":1}`, `{"a":1,"b":2}`, `unexpected member "b"`},
		{`{"a":1,"b":2}`, `{"a":1}`, `no member "b"`},
		{`{"a":null}`, `{}`, `no member "a"`},
		{`{"a":[1,2]}`, `{"a":[1]}`, "a: got [1], want an array of 2"},
		{`{"a":"1"}`, `{"a":1}`, `a: got 1, want "1"`},
		{`{"a":{"b":[{"c":false}]}}`, `{"a":{"b":[{"c":true}]}}`, "a.b[0].c: got true, want false"},
		{`{"a":"*"}`, `{"a":{"any":[1]}}`, ""},
		{`{"a":"*"}`, `{}`, `no member "a"`},
		{`{"a":"$x","b":"$x"}`, `{"a":[1,2],"b":[1,2]}`, ""},
		{`{"a":"$x","b":"$x"}`, `{"a":1,"b":2}`, "b: got 2, want 1 ($x)"},
		{`{"a":"$x","b":"$x"}`, `{"a":1,"b":1.0}`, ""},
		{`["$"]`, `["$"]`, ""}, // not a variable: literal
	} {
		want, err := decodeJSON([]byte(tc.want))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeJSON([]byte(tc.got))
		if err != nil {
			t.Fatal(err)
		}
		d := matchJSON(want, got, vars{})
		if tc.diff == "" && d != "" || tc.diff != "" && !strings.Contains(d, tc.diff) {
			t.Errorf("match(%s, %s) = %q, want %q", tc.want, tc.got, d, tc.diff)
		}
	}
}

// A binding made by a frame that does not match is forgotten; one made by
// a frame that matches is kept, and written into the runner's lines.
func TestVariables(t *testing.T) {
	vs := vars{}
	want, _ := decodeJSON([]byte(`{"sequence":"$s","type":"call"}`))
	bad, _ := decodeJSON([]byte(`{"sequence":7,"type":"cancel"}`))
	good, _ := decodeJSON([]byte(`{"sequence":8,"type":"call"}`))
	if d := matchJSON(want, bad, vs); d == "" || len(vs) != 0 {
		t.Errorf("a frame that does not match: %q, bindings %v", d, vs)
	}
	if d := matchJSON(want, good, vs); d != "" || vs["$s"] != "8" {
		t.Errorf("a frame that matches: %q, bindings %v", d, vs)
	}
	out, err := substitute(`{"sequence":"$s","reply":["$s","$t x"]}`, vs)
	if err != nil || out != `{"sequence":8,"reply":[8,"$t x"]}` {
		t.Errorf("substitute = %s, %v", out, err)
	}
	if _, err := substitute(`{"sequence":"$t"}`, vs); err == nil {
		t.Error("substitute of an unbound variable: no error")
	}
}

func TestInlineBlobs(t *testing.T) {
	want, _ := decodeJSON([]byte(`{"sequence":2,"reply":["aGVsbG8=",1]}`))
	got, _ := decodeJSON([]byte(`{"sequence":2,"blobs":[5],"reply":[0,1]}`))
	if d := matchJSON(want, inlineBlobs(want, got, [][]byte{[]byte("hello")}), vars{}); d != "" {
		t.Errorf("a blob for a base64 string: %s", d)
	}
	if d := matchJSON(want, inlineBlobs(want, got, [][]byte{[]byte("bye")}), vars{}); d == "" {
		t.Error("a blob with other bytes matched")
	}
	// An expected frame with blobs of its own compares them as they are.
	want, _ = decodeJSON([]byte(`{"sequence":2,"blobs":[5],"reply":[0,1]}`))
	if d := matchJSON(want, inlineBlobs(want, got, [][]byte{[]byte("hello")}), vars{}); d != "" {
		t.Errorf("raw blobs: %s", d)
	}
}

func TestSenderStyle(t *testing.T) {
	for line, ok := range map[string]bool{
		`{"sequence":1,"reply":[3]}`:        true,
		`{"sequence":1,"reply":["a b"]}`:    true,
		`{"sequence": 1,"reply":[3]}`:       false,
		`{"reply":[3],"sequence":1}`:        false,
		`{"sequence":1,"reply":[3]}{}`:      false,
		`[1]`:                               false,
		`{"sequence":1,"reply":[3]`:         false,
		` {"sequence":1,"reply":[3]}`:       false,
		`{"sequence":1,"reply":[3]}` + "\r": false,
	} {
		if err := checkSenderStyle([]byte(line)); (err == nil) != ok {
			t.Errorf("checkSenderStyle(%q) = %v, want ok %v", line, err, ok)
		}
	}
}

func TestExpandMacros(t *testing.T) {
	got, err := expandMacros(`a<<3*xy>>b<<q:"\t\xff">>c<<0*z>>`)
	if err != nil || got != "axyxyxyb\t\xffc" {
		t.Errorf("expandMacros = %q, %v", got, err)
	}
	for _, bad := range []string{"<<3*x", "<<x*3>>", `<<q:"\q">>`} {
		if _, err := expandMacros(bad); err == nil {
			t.Errorf("expandMacros(%q): no error", bad)
		}
	}
}
