package wire

import (
	"encoding/json"
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
		// Unknown members are ignored, whatever their value.
		{`{"sequence":1,"more":true,"x":{"y":[1,{"z":"}"}]},"n":null,"type":"call"}`, &Request{Sequence: 1, Type: TypeCall}},
		{`{"sequence":1,"unknown":[1,,2]}`, nil}, // but must be JSON
		// Duplicates: the last one counts, as in encoding/json.
		{`{"sequence":1,"sequence":2,"type":"a","type":"b"}`, &Request{Sequence: 2, Type: "b"}},
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
		{`{"sequence":9,"more":true,"unknown":[{}]}`, &Response{Sequence: 9}},
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
	err := Errorf(CodeBadArguments, "bad")
	if err.Error() != "bad" || err.Code != CodeBadArguments {
		t.Errorf("%+v", err)
	}
}
