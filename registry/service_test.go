package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hostcall/hostcall/registry"
)

func nan() float64 { return math.NaN() }

type Point struct {
	X, Y int
	Tag  string `json:"tag,omitempty"`
}

var errSentinel = errors.New("sentinel")

// ptrErr's Error dereferences its receiver: a typed nil panics.
type ptrErr struct{ msg string }

func (e *ptrErr) Error() string { return e.msg }

// nilSafeErr's Error works on a nil receiver.
type nilSafeErr struct{}

func (*nilSafeErr) Error() string { return "nil-safe" }

// rawJSON's MarshalJSON returns its bytes, valid JSON or not.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// panicky panics in both of its JSON methods.
type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("MarshalJSON exploded") }
func (*panicky) UnmarshalJSON([]byte) error  { panic("UnmarshalJSON exploded") }

// picky refuses every JSON form but "ok".
type picky struct{}

func (*picky) UnmarshalJSON(b []byte) error {
	if string(b) != `"ok"` {
		return errors.New("picky wants ok")
	}
	return nil
}

func sum(prefix string, rest ...int) int {
	n := len(prefix)
	for _, r := range rest {
		n += r
	}
	return n
}

var invokeServices = registry.Services{
	"t": {
		"add":     func(a, b int) int { return a + b },
		"none":    func() {},
		"multi":   func(a, b string) (string, int, error) { return a + b, len(a + b), nil },
		"nilerr":  func() error { return nil },
		"point":   func(p Point) Point { return Point{X: p.Y, Y: p.X, Tag: p.Tag + "!"} },
		"ptr":     func(p *Point) *Point { return p },
		"sum":     sum,
		"ctxsum":  func(_ context.Context, rest ...int) int { return sum("", rest...) },
		"len":     func(b []byte) int { return len(b) },
		"str":     func(b []byte) string { return string(b) },
		"cat":     func(bs ...[]byte) string { return string(bytes.Join(bs, []byte("+"))) },
		"strarg":  func(s string) string { return s },
		"ints":    func(xs []int) int { return len(xs) },
		"anyarg":  func(v any) any { return v },
		"map":     func(m map[string]int) map[string]int { return m },
		"nan":     func() (int, float64) { return 1, nan() },
		"nanany":  func() any { return []float64{nan()} },
		"chanany": func() any { return make(chan int) },
		"fail":    func() (int, error) { return 7, fmt.Errorf("wrapped: %w", errSentinel) },
		"typednil": func() error {
			var e *ptrErr
			return e
		},
		"nilsafe": func() (int, error) {
			var e *nilSafeErr
			return 1, e
		},
		"boom":    func(int) int { panic("kaboom") },
		"boomerr": func() { panic(errSentinel) },
		"nilpanic": func() {
			var m map[string]int
			m["x"] = 1
		},
		"rawbad":     func() rawJSON { return `{"a":` },
		"rawempty":   func() (int, rawJSON) { return 1, "" },
		"rawtwo":     func() rawJSON { return `1 2` },
		"rawgood":    func() rawJSON { return ` {"a": [1, 2]} ` },
		"rawany":     func() any { return rawJSON(`{`) },
		"rawnested":  func() []map[string]rawJSON { return []map[string]rawJSON{{"k": "nope"}} },
		"rawmsg":     func() json.RawMessage { return json.RawMessage(`1 2`) },
		"rawmsggood": func() json.RawMessage { return json.RawMessage(`{"a":1}`) },
		"rawecho":    func(m json.RawMessage) json.RawMessage { return m },
		"rawmsgbad":  func() json.RawMessage { return json.RawMessage(`{"a":`) },
		"rawmsgbig": func() map[string]json.RawMessage {
			return map[string]json.RawMessage{"k": json.RawMessage("[1e400, -1E999]")}
		},
		"numarg":     func(n json.Number) string { return string(n) },
		"float":      func(f float64) float64 { return f },
		"rawfield":   func(v struct{ A json.RawMessage }) json.RawMessage { return v.A },
		"raws":       func(ms ...json.RawMessage) int { return len(ms) },
		"rawblob":    func(m json.RawMessage, b []byte, n int) string { return fmt.Sprintf("%s|%s|%d", m, b, n) },
		"rawindent":  func() rawJSON { return "{\n  \"a\": [\n    1,\r\n\t\"x y\"\n  ]\n}\n" },
		"rawutf8":    func() any { return rawJSON("[\"a\xffb\", \"\xc3\", \"\xed\xa0\x80\", \"é😀\"]") },
		"rawspaced":  func() []map[string]rawJSON { return []map[string]rawJSON{{"k": `[1, "a\" b" ,{ }]`}} },
		"rawkeyutf8": func() json.RawMessage { return json.RawMessage("{\"k\xfe\" : \"\\u00e9\"}") },
		"number":     func() json.Number { return "12x" },
		"numbergood": func() json.Number { return "12.5e3" },
		"failmarsh":  func() failingMarshaler { return failingMarshaler{} },
		"panicout":   func() panicky { return panicky{} },
		"panicin":    func(panicky) {},
		"picky":      func(picky) int { return 1 },
		"hooked":     func(e embedsHook) embedsHook { return embedsHook{hook: func() {}, Name: e.Name + "!"} },
		"tagged":     func(taggedInner) taggedInner { return taggedInner{inner{F: func() {}}} },
		"private":    func() withPrivate { return withPrivate{Name: "p", ch: make(chan int)} },
		"box":        func(b chanBox) (chanBox, bool) { return b, b.C != nil },
	},
}

func newInvokeRegistry() *registry.Registry {
	r := registry.New()
	r.AddServices(invokeServices)
	return r
}

func TestInvoke(t *testing.T) {
	r := newInvokeRegistry()
	blobs := [][]byte{[]byte("a"), []byte("bcd")}
	tests := []struct {
		svc      string
		args     string
		nilArgs  bool // pass nil instead of args
		want     string
		wantErr  error
		wantMsgs []string
	}{
		{svc: "add", args: `[1,2]`, want: `[3]`},
		{svc: "add", args: ` [ -1 , 2 ] `, want: `[1]`},
		{svc: "add", args: `[1]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"t.add", "takes 2 arguments, got 1"}},
		{svc: "add", args: `[1,2,3]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"takes 2 arguments, got 3"}},
		{svc: "add", args: `[1,2,{"x":[3]}]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"takes 2 arguments, got 3"}},
		{svc: "add", args: `[]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"takes 2 arguments, got 0"}},
		{svc: "add", args: `null`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"takes 2 arguments, got 0"}},
		{svc: "add", nilArgs: true, wantErr: registry.ErrBadArguments, wantMsgs: []string{"takes 2 arguments, got 0"}},
		{svc: "add", args: `[1,"x"]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"t.add", "argument 1", "int"}},
		{svc: "add", args: `["1",2]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "int"}},
		{svc: "add", args: `[1.5,2]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "int"}},
		{svc: "add", args: `{}`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"t.add", "array"}},
		{svc: "add", args: `"x"`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"array"}},
		{svc: "add", args: `3`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"array"}},
		{svc: "add", args: `[1,2`, wantErr: registry.ErrBadArguments},
		{svc: "add", args: `[1 2]`, wantErr: registry.ErrBadArguments},

		{svc: "none", args: `[]`, want: `[]`},
		{svc: "none", args: `null`, want: `[]`},
		{svc: "none", args: ` null `, want: `[]`},
		{svc: "none", nilArgs: true, want: `[]`},
		{svc: "none", args: ``, want: `[]`},
		{svc: "none", args: `[0]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"takes 0 arguments, got 1"}},
		{svc: "nilerr", args: `[]`, want: `[]`},
		{svc: "multi", args: `["a","bc"]`, want: `["abc",3]`},
		{svc: "point", args: `[{"X":1,"Y":2,"tag":"t"}]`, want: `[{"X":2,"Y":1,"tag":"t!"}]`},
		{svc: "point", args: `[{"Y":5,"unknown":true}]`, want: `[{"X":5,"Y":0,"tag":"!"}]`},
		{svc: "point", args: `[null]`, want: `[{"X":0,"Y":0,"tag":"!"}]`},
		{svc: "point", args: `[[1,2]]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "registry_test.Point"}},
		{svc: "ptr", args: `[null]`, want: `[null]`},
		{svc: "ptr", args: `[{"X":3}]`, want: `[{"X":3,"Y":0}]`},
		{svc: "map", args: `[{"b":2,"a":1}]`, want: `[{"a":1,"b":2}]`},
		{svc: "anyarg", args: `[{"a":[1,"x",null,true]}]`, want: `[{"a":[1,"x",null,true]}]`},
		{svc: "ints", args: `[[1,2,3]]`, want: `[3]`},
		{svc: "strarg", args: `["<&>"]`, want: `["\u003c\u0026\u003e"]`},

		// Variadic.
		{svc: "sum", args: `["p"]`, want: `[1]`},
		{svc: "sum", args: `["p",1,2,3]`, want: `[7]`},
		{svc: "sum", args: `["pq",10]`, want: `[12]`},
		{svc: "sum", args: `[]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"t.sum", "at least 1", "got 0"}},
		{svc: "sum", args: `["p",1,"x"]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 2", "int"}},
		{svc: "sum", args: `[1]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "string"}},
		{svc: "ctxsum", args: `[]`, want: `[0]`},
		{svc: "ctxsum", args: `null`, want: `[0]`},
		{svc: "ctxsum", args: `[1,2]`, want: `[3]`},

		// Blobs.
		{svc: "len", args: `[1]`, want: `[3]`},
		{svc: "str", args: `[0]`, want: `["a"]`},
		{svc: "str", args: `[1]`, want: `["bcd"]`},
		{svc: "str", args: `["AQI="]`, want: `["\u0001\u0002"]`},
		{svc: "len", args: `["AQID"]`, want: `[3]`},
		{svc: "len", args: `[null]`, want: `[0]`},
		{svc: "len", args: `[2]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"t.len", "argument 0", "blob index 2", "2 blobs"}},
		{svc: "len", args: `[-1]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "blob index -1"}},
		{svc: "len", args: `[1.5]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0"}},
		{svc: "len", args: `["not base64!"]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "[]uint8"}},
		{svc: "cat", args: `[1,"eA==",0]`, want: `["bcd+x+a"]`},
		{svc: "cat", args: `[0,5]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 1", "blob index 5"}},
		{svc: "strarg", args: `[0]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "string"}},
		{svc: "ints", args: `[0]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "[]int"}},

		// The service's own error.
		{svc: "fail", args: `[]`, wantErr: errSentinel, wantMsgs: []string{"wrapped: sentinel"}},
		{svc: "nilsafe", args: `[]`, wantErr: (*nilSafeErr)(nil), wantMsgs: []string{"nil-safe"}},
		// A typed nil error is not nil, and its Error panics: in Invoke,
		// not later in the host.
		{svc: "typednil", args: `[]`, wantErr: registry.ErrPanic, wantMsgs: []string{"t.typednil", "nil pointer"}},

		// Panics.
		{svc: "boom", args: `[1]`, wantErr: registry.ErrPanic, wantMsgs: []string{"t.boom", "kaboom"}},
		{svc: "boomerr", args: `[]`, wantErr: registry.ErrPanic, wantMsgs: []string{"t.boomerr", "sentinel"}},
		{svc: "nilpanic", args: `[]`, wantErr: registry.ErrPanic, wantMsgs: []string{"t.nilpanic", "nil map"}},
		{svc: "boom", args: `["x"]`, wantErr: registry.ErrBadArguments}, // not called

		// Results that do not encode.
		{svc: "nan", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"t.nan", "result 1", "float64"}},
		{svc: "nanany", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0"}},
		{svc: "chanany", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0"}},
		{svc: "failmarsh", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0", "no JSON today"}},
		{svc: "rawbad", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"t.rawbad", "result 0", "invalid JSON"}},
		{svc: "rawempty", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 1", "invalid JSON"}},
		{svc: "rawtwo", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0"}},
		{svc: "rawany", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0"}},
		{svc: "rawnested", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0"}},
		{svc: "rawmsg", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0"}},
		{svc: "number", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"result 0"}},
		// Numbers out of float64's range are JSON: encoding/json takes them
		// into a json.RawMessage or a json.Number, not into a float64 or an int.
		{svc: "rawecho", args: `[1e400]`, want: `[1e400]`},
		{svc: "rawecho", args: `[[-1e400, {"a": 1E+999}]]`, want: `[[-1e400,{"a":1E+999}]]`},
		{svc: "numarg", args: `[1e400]`, want: `["1e400"]`},
		{svc: "rawfield", args: `[{"A":[1e400]}]`, want: `[[1e400]]`},
		{svc: "raws", args: `[1e400,2,1e400]`, want: `[3]`},
		{svc: "rawblob", args: `[1e400,1,5]`, want: `["1e400|bcd|5"]`},
		{svc: "rawblob", args: `[1e400,"eA==",5]`, want: `["1e400|x|5"]`},
		{svc: "rawblob", args: `[1e400,7,5]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 1", "blob index 7"}},
		{svc: "rawblob", args: `[1e400,0,"x"]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"t.rawblob", "argument 2 (int)", "string"}},
		{svc: "rawblob", args: `[1e400,0,1e400]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 2 (int)", "1e400"}},
		{svc: "add", args: `[1e400,2]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"t.add", "argument 0 (int)", "1e400"}},
		{svc: "add", args: `[1,2,1e400]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"takes 2 arguments, got 3"}},
		{svc: "add", args: `[1,1e400,[1e400],{"a":1e400}]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 1 (int)"}},
		{svc: "add", args: `[1e400,2`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"args"}},
		{svc: "float", args: `[1e400]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0 (float64)", "1e400"}},
		{svc: "float", args: `[1e-400]`, want: `[0]`},
		{svc: "rawmsgbig", args: `[]`, want: `[{"k":[1e400,-1E999]}]`},
		{svc: "rawmsgbad", args: `[]`, wantErr: registry.ErrResult, wantMsgs: []string{"t.rawmsgbad", "result 0", "invalid JSON"}},

		// Raw JSON is compacted, its invalid UTF-8 replaced, as in encoding/json.
		{svc: "rawgood", args: `[]`, want: `[{"a":[1,2]}]`},
		{svc: "rawindent", args: `[]`, want: `[{"a":[1,"x y"]}]`},
		{svc: "rawecho", args: "[\"\xff\"]", want: `["\ufffd"]`},
		{svc: "rawecho", args: "[ {\"a\" :\n[1e400, \"\xfe\xff\"] } ]", want: `[{"a":[1e400,"\ufffd\ufffd"]}]`},
		{svc: "rawutf8", args: `[]`, want: `[["a\ufffdb","\ufffd","\ufffd\ufffd\ufffd","é😀"]]`},
		{svc: "rawspaced", args: `[]`, want: `[[{"k":[1,"a\" b",{}]}]]`},
		{svc: "rawkeyutf8", args: `[]`, want: `[{"k\ufffd":"\u00e9"}]`},
		{svc: "rawmsggood", args: `[]`, want: `[{"a":1}]`},
		{svc: "numbergood", args: `[]`, want: `[12.5e3]`},

		// User (un)marshalers that panic or fail.
		{svc: "panicout", args: `[]`, wantErr: registry.ErrPanic, wantMsgs: []string{"t.panicout", "MarshalJSON exploded"}},
		{svc: "panicin", args: `[{}]`, wantErr: registry.ErrPanic, wantMsgs: []string{"t.panicin", "UnmarshalJSON exploded"}},
		{svc: "picky", args: `["ok"]`, want: `[1]`},
		{svc: "picky", args: `["no"]`, wantErr: registry.ErrBadArguments, wantMsgs: []string{"argument 0", "picky wants ok"}},

		// Fields the codec leaves out, and types that handle their own form.
		{svc: "hooked", args: `[{"Name":"n"}]`, want: `[{"Name":"n!"}]`},
		{svc: "tagged", args: `[{"in":{"F":1}}]`, want: `[{}]`},
		{svc: "private", args: `[]`, want: `[{"Name":"p"}]`},
		{svc: "box", args: `[123]`, want: `["box",true]`},
	}
	for _, tt := range tests {
		name := tt.svc + tt.args
		if tt.nilArgs {
			name = tt.svc + "(nil)"
		}
		t.Run(name, func(t *testing.T) {
			svc, err := r.Lookup("t", tt.svc)
			if err != nil {
				t.Fatal(err)
			}
			var args []byte
			if !tt.nilArgs {
				args = []byte(tt.args)
			}
			const prefix = `{"reply":`
			dst := make([]byte, len(prefix), 64)
			copy(dst, prefix)
			got, err := svc.Invoke(context.Background(), args, blobs, dst)
			if !strings.HasPrefix(string(got), prefix) {
				t.Errorf("Invoke = %q: lost the prefix %q of dst", got, prefix)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Invoke(%s): %v", tt.args, err)
				}
				if s := strings.TrimPrefix(string(got), prefix); s != tt.want {
					t.Errorf("Invoke(%s) = %s, want %s", tt.args, s, tt.want)
				}
				if !json.Valid(got[len(prefix):]) {
					t.Errorf("Invoke(%s) = %s: not valid JSON", tt.args, got)
				}
				// It goes in a frame: UTF-8, one line (PROTOCOL.md section 2).
				if !utf8.Valid(got) || bytes.ContainsAny(got, "\n\r") {
					t.Errorf("Invoke(%s) = %q: not UTF-8 on one line", tt.args, got)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Invoke(%s) = %s, %v; want an error matching %v", tt.args, got, err, tt.wantErr)
			}
			if string(got) != prefix {
				t.Errorf("failed Invoke = %q, want dst unchanged (%q)", got, prefix)
			}
			wantContains(t, err.Error(), tt.wantMsgs...)
		})
	}
}

func TestInvokeAppends(t *testing.T) {
	r := newInvokeRegistry()
	svc, _ := r.Lookup("t", "add")
	var buf []byte
	for i := range 3 {
		var err error
		buf, err = svc.Invoke(context.Background(), fmt.Appendf(nil, "[%d,1]", i), nil, buf)
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(buf) != "[1][2][3]" {
		t.Errorf("three Invokes appended %q", buf)
	}
}

type ctxKey struct{}

func TestInvokePassesContext(t *testing.T) {
	var got context.Context
	r := registry.New()
	r.AddService("t", "ctx", func(ctx context.Context, k string) (string, error) {
		got = ctx
		v, _ := ctx.Value(ctxKey{}).(string)
		return k + "=" + v, ctx.Err()
	})
	svc, _ := r.Lookup("t", "ctx")

	ctx := context.WithValue(context.Background(), ctxKey{}, "value")
	out, err := svc.Invoke(ctx, []byte(`["k"]`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `["k=value"]` {
		t.Errorf("Invoke = %s", out)
	}
	if got != ctx {
		t.Errorf("the service got a context other than Invoke's")
	}

	// A canceled context reaches the service as it is.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = svc.Invoke(cctx, []byte(`["k"]`), nil, nil)
	var se *registry.ServiceError
	if !errors.As(err, &se) || !errors.Is(err, context.Canceled) {
		t.Errorf("with a canceled context: %v; want a ServiceError wrapping context.Canceled", err)
	}
}

func TestServiceError(t *testing.T) {
	r := newInvokeRegistry()
	svc, _ := r.Lookup("t", "fail")
	out, err := svc.Invoke(context.Background(), nil, nil, []byte("x"))
	if string(out) != "x" {
		t.Errorf("Invoke = %q; want dst unchanged", out)
	}
	var se *registry.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("Invoke error %T %v; want a *ServiceError", err, err)
	}
	if se.Error() != "wrapped: sentinel" {
		t.Errorf("Error() = %q, want the service's message exactly", se.Error())
	}
	if se.Service != "t.fail" {
		t.Errorf("Service = %q", se.Service)
	}
	if !errors.Is(err, errSentinel) {
		t.Errorf("errors.Is(err, errSentinel) = false")
	}
	for _, other := range []error{registry.ErrPanic, registry.ErrBadArguments, registry.ErrResult} {
		if errors.Is(err, other) {
			t.Errorf("a service error matches %v", other)
		}
	}
}

func TestPanicError(t *testing.T) {
	r := newInvokeRegistry()
	svc, _ := r.Lookup("t", "boom")
	_, err := svc.Invoke(context.Background(), []byte(`[1]`), nil, nil)
	var pe *registry.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Invoke error %T %v; want a *PanicError", err, err)
	}
	if !errors.Is(err, registry.ErrPanic) {
		t.Errorf("errors.Is(err, ErrPanic) = false")
	}
	if pe.Service != "t.boom" || pe.Value != "kaboom" {
		t.Errorf("PanicError{Service: %q, Value: %v}", pe.Service, pe.Value)
	}
	if got, want := pe.Error(), "t.boom: service panicked: kaboom"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if len(pe.Stack) == 0 {
		t.Fatal("empty Stack")
	}
	// The stack shows where it panicked, not just where it was recovered.
	if !bytes.Contains(pe.Stack, []byte("service_test.go")) {
		t.Errorf("Stack does not show the panicking service:\n%s", pe.Stack)
	}

	// errors.Is on the panic value's own error does not see through.
	svc, _ = r.Lookup("t", "boomerr")
	_, err = svc.Invoke(context.Background(), nil, nil, nil)
	if !errors.As(err, &pe) || pe.Value != errSentinel {
		t.Errorf("panic(errSentinel): %v", err)
	}

	// The registry keeps working after a panic.
	svc, _ = r.Lookup("t", "add")
	if out, err := svc.Invoke(context.Background(), []byte(`[2,2]`), nil, nil); err != nil || string(out) != "[4]" {
		t.Errorf("add after a panic = %s, %v", out, err)
	}
}

// UsesContext is false only for a func that can see nothing of the
// context it is invoked with.
func TestUsesContext(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   any
		want bool
	}{
		{"plain", func(a, b int) int { return a + b }, false},
		{"error", func(s string) (string, error) { return s, nil }, false},
		{"nothing", func() {}, false},
		{"context", func(ctx context.Context, n int) int { return n }, true},
		{"callback", func(n int, f func(int) error) error { return f(n) }, true},
		{"seq", func(n int) iter.Seq[int] { return func(func(int) bool) {} }, true},
		{"seq2", func() iter.Seq2[int, error] { return func(func(int, error) bool) {} }, true},
		{"chan", func() <-chan int { return nil }, true},
		{"reader", func() io.Reader { return strings.NewReader("") }, true},
	} {
		reg := registry.New()
		reg.AddService("t", c.name, c.fn)
		svc, err := reg.Lookup("t", c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := svc.UsesContext(); got != c.want {
			t.Errorf("%s (%T): UsesContext() = %v, want %v", c.name, c.fn, got, c.want)
		}
	}
}
