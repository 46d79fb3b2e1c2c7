package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		in   string
		want *Request // nil: an error
	}{
		// Every member.
		{`{"sequence":7,"type":"call","namespace":"calc","name":"add","args":[1,2],"timeout":1500000000,"blobs":[3,0]}`,
			&Request{Sequence: 7, Type: TypeCall, Namespace: "calc", Name: "add", Args: []byte(`[1,2]`), Timeout: 1500000000, Blobs: []int64{3, 0}}},
		// Protocol 1 style: spaces, sequence last.
		{`{"type": "call", "namespace": "calc", "name": "add", "args": [1, 2], "sequence": 7}`,
			&Request{Sequence: 7, Type: TypeCall, Namespace: "calc", Name: "add", Args: []byte(`[1, 2]`)}},
		{"{\r\n\t\"sequence\" : 1 \n}", &Request{Sequence: 1}},
		{`{"sequence":1,"type":"hello","args":{"protocol":2,"features":["cancel","timeout","codes","blobs"],"maxFrame":67108864}}`,
			&Request{Sequence: 1, Type: TypeHello, Args: []byte(`{"protocol":2,"features":["cancel","timeout","codes","blobs"],"maxFrame":67108864}`)}},
		{`{"sequence":7,"type":"cancel"}`, &Request{Sequence: 7, Type: TypeCancel}},
		// Sequence bounds and types.
		{`{"sequence":0}`, &Request{}},
		{`{"sequence":18446744073709551615}`, &Request{Sequence: 18446744073709551615}},
		{`{"sequence":18446744073709551616}`, nil},
		{`{"sequence":99999999999999999999999}`, nil},
		{`{"sequence":"7"}`, nil},
		{`{"sequence":-1}`, nil},
		{`{"sequence":-0}`, nil},
		{`{"sequence":1.5}`, nil},
		{`{"sequence":1.0}`, nil},
		{`{"sequence":1e3}`, nil},
		{`{"sequence":01}`, nil},
		{`{"sequence":+1}`, nil},
		{`{"sequence":true}`, nil},
		{`{"sequence":[1]}`, nil},
		{`{"sequence":{}}`, nil},
		{`{"sequence":null}`, nil}, // no sequence
		{`{"type":"call"}`, nil},
		{`{}`, nil},
		// Other member types.
		{`{"sequence":1,"type":5}`, nil},
		{`{"sequence":1,"type":true}`, nil},
		{`{"sequence":1,"type":["call"]}`, nil},
		{`{"sequence":1,"type":null}`, &Request{Sequence: 1}},
		{`{"sequence":1,"namespace":{}}`, nil},
		{`{"sequence":1,"name":1}`, nil},
		{`{"sequence":1,"type":"\u0063all\n\"\\"}`, &Request{Sequence: 1, Type: "call\n\"\\"}},
		{`{"sequence":1,"type":"\ud83d\ude00"}`, &Request{Sequence: 1, Type: "\U0001F600"}},
		{`{"sequence":1,"type":"a\x"}`, nil},
		{`{"sequence":1,"type":"\u00zz"}`, nil},
		// args: any JSON, kept as written; null is absent.
		{`{"sequence":1,"args":null}`, &Request{Sequence: 1}},
		{`{"sequence":1,"args":[]}`, &Request{Sequence: 1, Args: []byte(`[]`)}},
		{`{"sequence":1,"args":{"a":[1,{"b":null}]}}`, &Request{Sequence: 1, Args: []byte(`{"a":[1,{"b":null}]}`)}},
		{`{"sequence":1,"args":"s"}`, &Request{Sequence: 1, Args: []byte(`"s"`)}},
		{`{"sequence":1,"args":-1.5e-3}`, &Request{Sequence: 1, Args: []byte(`-1.5e-3`)}},
		{`{"sequence":1,"args":true}`, &Request{Sequence: 1, Args: []byte(`true`)}},
		{`{"sequence":1,"args":false}`, &Request{Sequence: 1, Args: []byte(`false`)}},
		{`{"sequence":1,"args":[1,,2]}`, nil},
		{`{"sequence":1,"args":[1,2,]}`, nil},
		{`{"sequence":1,"args":[01]}`, nil},
		{`{"sequence":1,"args":tru}`, nil},
		{`{"sequence":1,"args":{"a" 1}}`, nil},
		{`{"sequence":1,"args":[1]]}`, nil},
		{"{\"sequence\":1,\"args\":\"a\tb\"}", nil}, // raw control character in a string
		// ... also after an escape, where the codec alone lets it through.
		{"{\"sequence\":1,\"args\":\"\\b\x00\"}", nil},
		{"{\"sequence\":1,\"args\":[\"\\n\n\"]}", nil},
		{"{\"sequence\":1,\"type\":\"\\\"\t\"}", nil},
		{"{\"sequence\":1,\"x\":\"\\\\\r\"}", nil},
		{"{\"sequence\":1,\"x\":\"\\\\\x1f\"}", nil},
		{"{\"sequence\":1,\n\"x\":\"\\n\"\n}", &Request{Sequence: 1}},
		// timeout.
		{`{"sequence":1,"timeout":-5}`, &Request{Sequence: 1, Timeout: -5}},
		{`{"sequence":1,"timeout":9223372036854775807}`, &Request{Sequence: 1, Timeout: 9223372036854775807}},
		{`{"sequence":1,"timeout":-9223372036854775808}`, &Request{Sequence: 1, Timeout: -9223372036854775808}},
		{`{"sequence":1,"timeout":9223372036854775808}`, nil},
		{`{"sequence":1,"timeout":1.5}`, nil},
		{`{"sequence":1,"timeout":"1s"}`, nil},
		{`{"sequence":1,"timeout":null}`, &Request{Sequence: 1}},
		// blobs.
		{`{"sequence":1,"blobs":[]}`, &Request{Sequence: 1}},
		{`{"sequence":1,"blobs":[0, 9223372036854775807]}`, &Request{Sequence: 1, Blobs: []int64{0, 9223372036854775807}}},
		{`{"sequence":1,"blobs":[-1]}`, nil},
		{`{"sequence":1,"blobs":3}`, nil},
		{`{"sequence":1,"blobs":{}}`, nil},
		{`{"sequence":1,"blobs":["3"]}`, nil},
		{`{"sequence":1,"blobs":[1.5]}`, nil},
		{`{"sequence":1,"blobs":[null]}`, nil},
		{`{"sequence":1,"blobs":null}`, &Request{Sequence: 1}},
		// Numbers of any range are JSON: args keeps them as written, for the
		// argument's decoder to judge, and unknown members skip them.
		{`{"sequence":1,"args":[1e400,2]}`, &Request{Sequence: 1, Args: []byte(`[1e400,2]`)}},
		{`{"sequence":1,"args":[-1E+400,1e-400,0.0e999,123456789012345678901234567890]}`,
			&Request{Sequence: 1, Args: []byte(`[-1E+400,1e-400,0.0e999,123456789012345678901234567890]`)}},
		{`{"sequence":1,"args":1e400}`, &Request{Sequence: 1, Args: []byte(`1e400`)}},
		{`{"sequence":1,"args":{"a":[{"b":-1e400}]}}`, &Request{Sequence: 1, Args: []byte(`{"a":[{"b":-1e400}]}`)}},
		{`{"sequence":1,"x":1e400,"y":[1e400,{"z":-0.5e-999}],"type":"call","args":[1,2]}`,
			&Request{Sequence: 1, Type: TypeCall, Args: []byte(`[1,2]`)}},
		{`{"x":[1e400],"sequence":1}`, &Request{Sequence: 1}},
		// ... but must still be numbers of the JSON grammar.
		{`{"sequence":1,"args":[1.]}`, nil},
		{`{"sequence":1,"args":[.5]}`, nil},
		{`{"sequence":1,"args":[1e]}`, nil},
		{`{"sequence":1,"args":[1e+]}`, nil},
		{`{"sequence":1,"args":[-]}`, nil},
		{`{"sequence":1,"args":[--1]}`, nil},
		{`{"sequence":1,"args":[+1]}`, nil},
		{`{"sequence":1,"args":[1.5.5]}`, nil},
		{`{"sequence":1,"args":[1e5e5]}`, nil},
		{`{"sequence":1,"args":[0x10]}`, nil},
		{`{"sequence":1,"args":[00]}`, nil},
		{`{"sequence":1,"args":[-01]}`, nil},
		{`{"sequence":1,"args":[NaN]}`, nil},
		{`{"sequence":1,"args":[Infinity]}`, nil},
		{`{"sequence":1,"x":1.}`, nil},
		{`{"sequence":1,"x":[1e400,]}`, nil},
		{`{"sequence":1,"x":1e400`, nil},
		// Other values of the grammar, in args and unknown members.
		{`{"sequence":1,"args":[true,false,null,"",{},[],{"":""}]}`, &Request{Sequence: 1, Args: []byte(`[true,false,null,"",{},[],{"":""}]`)}},
		{"{\"sequence\":1,\"args\":[ \t\r\n1 ,\n{ \"a\" : [ ] } ]}", &Request{Sequence: 1, Args: []byte("[ \t\r\n1 ,\n{ \"a\" : [ ] } ]")}},
		{`{"sequence":1,"args":["\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"]}`, &Request{Sequence: 1, Args: []byte(`["\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"]`)}},
		{"{\"sequence\":1,\"args\":[\"\xff\xfe\"]}", &Request{Sequence: 1, Args: []byte("[\"\xff\xfe\"]")}}, // invalid UTF-8 is JSON
		{`{"sequence":1,"args":[nul]}`, nil},
		{`{"sequence":1,"args":[truex]}`, nil},
		{`{"sequence":1,"args":[True]}`, nil},
		{`{"sequence":1,"args":{"a":1,}}`, nil},
		{`{"sequence":1,"args":{"a":1 "b":2}}`, nil},
		{`{"sequence":1,"args":{1:2}}`, nil},
		{`{"sequence":1,"args":{"a"}}`, nil},
		{`{"sequence":1,"args":{"a":}}`, nil},
		{`{"sequence":1,"args":[1:2]}`, nil},
		{`{"sequence":1,"args":[}`, nil},
		{`{"sequence":1,"args":{]}`, nil},
		{`{"sequence":1,"args":["\u12"]}`, nil},
		{`{"sequence":1,"args":["\a"]}`, nil},
		{`{"sequence":1,"args":["abc]}`, nil},
		{`{"sequence":1,"args":'a'}`, nil},
		{"{\"sequence\":1,\"args\":[1\x00]}", nil},
		{"{\"sequence\":1,\"args\":[1\f]}", nil}, // form feed is not JSON whitespace
		{"{\"sequence\":1,\"args\":[1]\u00a0}", nil},
		// Escapes in member values: lone surrogates decode to U+FFFD.
		{`{"sequence":1,"type":"\ud800"}`, &Request{Sequence: 1, Type: "\ufffd"}},
		{`{"sequence":1,"type":"\udc00\ud83d\ude00"}`, &Request{Sequence: 1, Type: "\ufffd\U0001F600"}},
		{`{"sequence":1,"type":"\ud800\u0041\ud800x"}`, &Request{Sequence: 1, Type: "\ufffdA\ufffdx"}},
		{`{"sequence":1,"type":"\ud800\ud800"}`, &Request{Sequence: 1, Type: "\ufffd\ufffd"}},
		{`{"sequence":1,"name":"a\u0000b\u00e9\/"}`, &Request{Sequence: 1, Name: "a\x00b\u00e9/"}},
		{"{\"sequence\":1,\"name\":\"\xff\"}", &Request{Sequence: 1, Name: "\xff"}}, // kept as written
		// Unknown members are ignored, whatever their value.
		{`{"sequence":1,"more":true,"x":{"y":[1,{"z":"}"}]},"n":null,"type":"call"}`, &Request{Sequence: 1, Type: TypeCall}},
		{`{"sequence":1,"unknown":[1,,2]}`, nil}, // but must be JSON
		// Duplicates: the last one counts, as in encoding/json.
		{`{"sequence":1,"type":"a","type":"b"}`, &Request{Sequence: 1, Type: "b"}},
		{`{"sequence":1,"sequence":2,"type":"a"}`, nil}, // see TestDuplicateMembers
		// Escaped member names are decoded.
		{`{"seq\u0075ence":3,"\u0074ype":"call"}`, &Request{Sequence: 3, Type: TypeCall}},
		{`{"Sequence":3}`, nil}, // names are case-sensitive
		// Not an object, or not only one.
		{`[1]`, nil},
		{`null`, nil},
		{`5`, nil},
		{``, nil},
		{` `, nil},
		{`{"sequence":1}x`, nil},
		{`{"sequence":1}{}`, nil},
		{`{"sequence":1,"x":1}}`, nil},
		{"{\"sequence\":1}\n", &Request{Sequence: 1}},
		// Truncated: a number at the cut must not read as complete.
		{`{"sequence":1`, nil},
		{`{"sequence":1,"timeout":5`, nil},
		{`{"timeout":5,"sequence":1`, nil},
		{`{"sequence":1,"args":5`, nil},
		{`{"sequence":1,"x":5`, nil},
		{`{"sequence":1,"type":"call"`, nil},
		{`{"sequence":1,"type":"ca`, nil},
		{`{"sequence":1,`, nil},
		{`{"sequence":1,}`, nil},
		{`{"sequence":1 "type":"x"}`, nil},
	}
	for _, tt := range tests {
		var got Request
		got.Namespace = "stale" // ParseRequest resets the request
		err := ParseRequest([]byte(tt.in), &got)
		if tt.want == nil {
			if err == nil {
				t.Errorf("ParseRequest(%s) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRequest(%s): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(*tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ParseRequest(%s) (-want +got):\n%s", tt.in, diff)
		}
		if (tt.want.Args == nil) != (got.Args == nil) {
			t.Errorf("ParseRequest(%s): Args %q, want %q", tt.in, got.Args, tt.want.Args)
		}
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		in   string
		want *Response
	}{
		{`{"sequence":7,"reply":[3]}`, &Response{Sequence: 7, Reply: []byte(`[3]`)}},
		{`{"sequence":8,"error":"undefined service \"mul\"","code":"unknown_service"}`, &Response{Sequence: 8, Error: `undefined service "mul"`, Code: CodeUnknownService}},
		{`{"sequence":1,"reply":{"protocol":2,"features":["cancel"],"maxFrame":1024}}`, &Response{Sequence: 1, Reply: []byte(`{"protocol":2,"features":["cancel"],"maxFrame":1024}`)}},
		{`{"reply": null, "ok": true, "sequence": 9}`, &Response{Sequence: 9, OK: true}},
		{`{"sequence":9,"ok":false}`, &Response{Sequence: 9}},
		{`{"sequence":9,"services":["a","b\u0000"],"blobs":[1]}`, &Response{Sequence: 9, Services: []string{"a", "b\x00"}, Blobs: []int64{1}}},
		{`{"sequence":9,"services":[]}`, &Response{Sequence: 9}},
		{`{"sequence":9,"services":null}`, &Response{Sequence: 9}},
		{`{"sequence":9,"more":true,"unknown":[{}]}`, &Response{Sequence: 9, More: true}},
		{`{"sequence":9,"reply":[1e400,-1e400]}`, &Response{Sequence: 9, Reply: []byte(`[1e400,-1e400]`)}},
		{`{"sequence":9,"reply":[3],"x":1e400}`, &Response{Sequence: 9, Reply: []byte(`[3]`)}},
		{`{"sequence":9,"reply":[1.]}`, nil},
		// A type member marks a request travelling host to plugin.
		{`{"sequence":9,"type":"call","namespace":"ns","name":"f","args":[1]}`, &Response{Sequence: 9, Type: TypeCall}},
		{`{"type":"getManifest","sequence":9}`, &Response{Sequence: 9, Type: TypeGetManifest}},
		{`{"sequence":9,"type":"x\u00e9"}`, &Response{Sequence: 9, Type: "x\u00e9"}},
		{`{"sequence":9,"type":""}`, &Response{Sequence: 9}},
		{`{"sequence":9,"type":null,"reply":[1]}`, &Response{Sequence: 9, Reply: []byte(`[1]`)}},
		{`{"sequence":9,"type":7}`, nil},
		{`{"sequence":9,"type":["call"]}`, nil},
		{`{"sequence":9,"ok":1}`, nil},
		{`{"sequence":9,"ok":"true"}`, nil},
		{`{"sequence":9,"services":"a"}`, nil},
		{`{"sequence":9,"services":["a",1]}`, nil},
		{`{"sequence":9,"services":["a",null]}`, nil},
		{`{"sequence":9,"error":5}`, nil},
		{`{"sequence":9,"code":[]}`, nil},
		{`{"sequence":9,"blobs":[-2]}`, nil},
		{`{"sequence":"9","reply":[]}`, nil},
		{`{"reply":[]}`, nil},
		{`{"sequence":9,"reply":[1,]}`, nil},
		{`{"sequence":9,"reply":5`, nil},
		{`{"sequence":9,"ok":true`, nil},
		{`{"sequence":9} {"sequence":10}`, nil},
		{"{\"sequence\":9,\"error\":\"\\t\x00\"}", nil},
		{"{\"sequence\":9,\"reply\":[\"\\\\\n\"]}", nil},
	}
	for _, tt := range tests {
		var got Response
		got.Error = "stale"
		err := ParseResponse([]byte(tt.in), &got)
		if tt.want == nil {
			if err == nil {
				t.Errorf("ParseResponse(%s) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseResponse(%s): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(*tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ParseResponse(%s) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestParseCopies checks that what ParseRequest and ParseResponse return
// does not alias the frame, which the Framer reuses.
func TestParseCopies(t *testing.T) {
	data := []byte(`{"sequence":1,"type":"call","namespace":"ns","name":"n","args":["abc"]}`)
	var req Request
	if err := ParseRequest(data, &req); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'X'
	}
	want := Request{Sequence: 1, Type: "call", Namespace: "ns", Name: "n", Args: []byte(`["abc"]`)}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Fatal(diff)
	}
	data = []byte(`{"sequence":1,"reply":["abc"],"services":["s"],"error":"e","code":"c"}`)
	var resp Response
	if err := ParseResponse(data, &resp); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'X'
	}
	wantResp := Response{Sequence: 1, Reply: []byte(`["abc"]`), Services: []string{"s"}, Error: "e", Code: "c"}
	if diff := cmp.Diff(wantResp, resp); diff != "" {
		t.Fatal(diff)
	}
}

func TestParseDeepNesting(t *testing.T) {
	for _, depth := range []int{100, 10000, 100000} {
		args := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		var req Request
		err := ParseRequest([]byte(`{"sequence":1,"args":`+args+`}`), &req)
		if depth <= 100 && err != nil {
			t.Errorf("depth %d: %v", depth, err)
		}
		if depth >= 100000 && err == nil {
			t.Errorf("depth %d accepted", depth)
		}
		var resp Response
		_ = ParseResponse([]byte(`{"sequence":1,"x":`+args+`}`), &resp)
	}
}

// TestParseErrorWording checks that a frame is called "not JSON" only when
// it is not: a number out of float64's range is JSON.
func TestParseErrorWording(t *testing.T) {
	tests := []struct {
		in       string
		response bool
		want     string
	}{
		{`{"sequence":1,"type":7,"args":[1e400]}`, false, "type must be a string"},
		{`{"sequence":1,"x":1e400,"timeout":"soon"}`, false, "timeout must be an integer"},
		{`{"sequence":1,"x":1e400,"namespace":{}}`, false, "namespace must be a string"},
		{`{"sequence":-1,"args":[1e400]}`, false, "sequence must be an unsigned integer"},
		{`{"sequence":1e400}`, false, "sequence must be an unsigned integer"},
		{`{"sequence":1,"blobs":[1e400]}`, false, "blobs must be an array of lengths"},
		{`{"sequence":1,"blobs":[-1]}`, false, "a blob length is negative"},
		{`{"args":[1e400]}`, false, "no sequence"},
		{`{"sequence":1}{}`, false, "not JSON"},
		{`{"sequence":1,"args":[1,,2]}`, false, "not JSON"},
		{`{"sequence":1,"args":[1.]}`, false, "not JSON"},
		{`[1e400]`, false, "not an object"},
		{`{"sequence":1,"reply":[1e400],"ok":1}`, true, "ok must be a boolean"},
		{`{"sequence":1,"x":-1e400,"services":[1]}`, true, "services must be an array of strings"},
		{`{"sequence":1,"reply":[1e400],"type":5}`, true, "type must be a string"},
	}
	for _, tt := range tests {
		var err error
		if tt.response {
			err = ParseResponse([]byte(tt.in), &Response{})
		} else {
			err = ParseRequest([]byte(tt.in), &Request{})
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tt.in, err, tt.want)
		}
		if tt.want != "not JSON" && err != nil && strings.Contains(err.Error(), "not JSON") {
			t.Errorf("Parse(%s) = %v: the frame is JSON", tt.in, err)
		}
	}
}

// TestParseAcceptsJSON checks, for many JSON texts and near misses, that an
// args or unknown member holding one parses exactly when it is JSON (for
// encoding/json), and that args keeps it as written.
func TestParseAcceptsJSON(t *testing.T) {
	values := []string{
		`0`, `-0`, `1e400`, `-1e400`, `1E-400`, `0.000001e-999999999999999999999`, `12345678901234567890123456789e12345`,
		`[1e400,{"a":[1e400]}]`, `"\ud800"`, "\"\xff\"", `{"a":{"b":{"c":[[[]]]}}}`, ` 1 `,
		`1.`, `.1`, `01`, `-`, `1e`, `1e+`, `+1`, `1-`, `0x1`, `1.e5`, `[01]`, `[1 2]`, `{"a" 1}`, `{"a":1,}`,
		`[,]`, `[1,]`, `"\x"`, `"\u00g0"`, "\"a\x00\"", `tru`, `nulll`, `[`, `]`, `{`, `}`, `""`, `"`,
		"\t[\n]\r", "\v1", `[1]]`, `[[1]`, `{"a":[}]}`, `{"a":{]}`,
	}
	for _, v := range values {
		valid := json.Valid([]byte(v))
		for _, frame := range []string{`{"sequence":1,"args":` + v + `}`, `{"sequence":1,"x":` + v + `}`, `{"x":` + v + `,"sequence":1}`} {
			var req Request
			err := ParseRequest([]byte(frame), &req)
			if valid != (err == nil) {
				t.Errorf("ParseRequest(%q) = %v; json.Valid(%q) = %v", frame, err, v, valid)
			}
			if err == nil && strings.Contains(frame, `"args"`) && string(req.Args) != strings.Trim(v, " \t\r\n") {
				t.Errorf("ParseRequest(%q): Args %q", frame, req.Args)
			}
		}
		var resp Response
		err := ParseResponse([]byte(`{"sequence":1,"reply":`+v+`}`), &resp)
		if valid != (err == nil) {
			t.Errorf("ParseResponse(reply %q) = %v; json.Valid = %v", v, err, valid)
		}
	}
}

// FuzzParseSkip checks that a member's value is accepted, as args or as an
// unknown member, exactly when encoding/json finds it valid.
func FuzzParseSkip(f *testing.F) {
	for _, s := range []string{`[1e400,2]`, `{"a":[1,{"b":"\u00e9"}]}`, `-0.5E+3`, `"\ud83d\ude00"`, `[1.]`, `tru`, `{"a":1,}`} {
		f.Add(s)
	}
	for _, s := range seedStreams {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.Count(v, "[")+strings.Count(v, "{") > 5000 {
			return // depth limits aside
		}
		frame := []byte(`{"sequence":1,"args":` + v + `,"y":` + v + `}`)
		valid := json.Valid([]byte(v))
		if !valid && json.Valid(frame) {
			return // v is more than a value, such as 1,"z":2
		}
		var req Request
		err := ParseRequest(frame, &req)
		if valid != (err == nil) {
			t.Fatalf("value %q: ParseRequest error %v, json.Valid %v", v, err, valid)
		}
		if err == nil && !bytes.Equal(req.Args, bytes.Trim([]byte(v), " \t\r\n")) {
			t.Fatalf("value %q: Args %q", v, req.Args)
		}
		if err != nil && valid == strings.Contains(err.Error(), "not JSON") {
			t.Fatalf("value %q: error %v, json.Valid %v", v, err, valid)
		}
	})
}

func TestHelloHas(t *testing.T) {
	h := &Hello{Protocol: 2, Features: []string{FeatureCancel, FeatureBlobs}}
	if !h.Has(FeatureCancel) || !h.Has(FeatureBlobs) || h.Has(FeatureTimeout) || h.Has("") {
		t.Errorf("Has on %v", h.Features)
	}
	var nilHello *Hello
	if nilHello.Has(FeatureCancel) {
		t.Error("nil Hello has a feature")
	}
	b, err := JSON.Marshal(&Hello{Protocol: 2, Features: []string{"cancel"}, MaxFrame: 1 << 20})
	if err != nil || string(b) != `{"protocol":2,"features":["cancel"],"maxFrame":1048576}` {
		t.Errorf("%s %v", b, err)
	}
	b, _ = JSON.Marshal(&Hello{Protocol: 1})
	if string(b) != `{"protocol":1}` {
		t.Errorf("%s", b)
	}
	var back Hello
	if err := json.Unmarshal([]byte(`{"protocol":2,"features":["a"],"maxFrame":5,"other":1}`), &back); err != nil || back.MaxFrame != 5 || !back.Has("a") {
		t.Errorf("%+v %v", back, err)
	}
}

func TestError(t *testing.T) {
	err := &Error{Code: CodeBadArguments, Namespace: "calc", Name: "add", Message: "calc.add: bad arguments: takes 2"}
	if got, want := err.Error(), "service calc.add: bad arguments: takes 2"; got != want {
		t.Errorf("Error() = %q, want %q (the call named once)", got, want)
	}
	err.Message = "division by zero"
	if got, want := err.Error(), "service calc.add: division by zero"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for _, c := range codes {
		e := &Error{Code: c.code}
		if !errors.Is(e, c.err) || Sentinel(c.code) != c.err || CodeOf(c.err) != c.code {
			t.Errorf("code %s and its sentinel do not match both ways", c.code)
		}
	}
	if !errors.Is(&Error{Code: CodeCanceled}, context.Canceled) || !errors.Is(&Error{Code: CodeDeadlineExceeded}, context.DeadlineExceeded) {
		t.Errorf("canceled and deadline_exceeded must match the context errors")
	}
	if errors.Is(&Error{}, ErrServiceError) || CodeOf(errors.New("x")) != CodeServiceError {
		t.Errorf("an uncoded error is generic remote; an unknown Go error is a service_error")
	}
}

// TestDuplicateMembers: a frame with sequence or blobs twice is refused by
// the parser, and answered under the first sequence, the one Recover finds
// (PROTOCOL.md section 5), whatever the second is; Recover's blobs are the
// first too, so the stream stays in step the same way.
func TestDuplicateMembers(t *testing.T) {
	tests := []struct {
		in   string
		want Recovered
	}{
		{`{"sequence":1,"sequence":2,"type":"call"}`, Recovered{Sequence: 1, HasSequence: true}},
		{`{"sequence":1,"type":"call","seq\u0075ence":2}`, Recovered{Sequence: 1, HasSequence: true}},
		{`{"sequence":1,"sequence":null}`, Recovered{Sequence: 1, HasSequence: true}},
		{`{"sequence":null,"sequence":2}`, Recovered{Sequence: 2, HasSequence: true}},
		{`{"sequence":3,"blobs":[1],"blobs":[2]}`, Recovered{Sequence: 3, HasSequence: true, Blobs: []int64{1}, HasBlobs: true}},
		{`{"sequence":3,"blobs":[],"reply":[1],"blobs":[2]}`, Recovered{Sequence: 3, HasSequence: true, Blobs: []int64{}, HasBlobs: true}},
	}
	for _, tt := range tests {
		var req Request
		if err := ParseRequest([]byte(tt.in), &req); err == nil || !strings.Contains(err.Error(), "duplicate member") {
			t.Errorf("ParseRequest(%s) = %+v, %v; want a duplicate member error", tt.in, req, err)
		}
		var resp Response
		if err := ParseResponse([]byte(tt.in), &resp); err == nil || !strings.Contains(err.Error(), "duplicate member") {
			t.Errorf("ParseResponse(%s) = %+v, %v; want a duplicate member error", tt.in, resp, err)
		}
		if diff := cmp.Diff(tt.want, Recover([]byte(tt.in)), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Recover(%s) (-want +got):\n%s", tt.in, diff)
		}
	}
}
