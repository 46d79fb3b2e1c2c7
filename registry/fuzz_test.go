package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hostcall/hostcall/registry"
)

// Types of the fuzzed services' parameters and results.
type (
	fuzzPoint struct{ X, Y int }
	fuzzDoc   struct {
		Name  string           `json:"name"`
		Tags  []string         `json:"tags,omitempty"`
		Attrs map[string][]int `json:"attrs"`
		Kids  []fuzzDoc        `json:"kids"`
		At    *fuzzPoint       `json:"at"`
	}
	// fuzzPicky's UnmarshalJSON fails on "bad" and panics on "boom".
	fuzzPicky struct{ s string }
	// fuzzLoud's MarshalJSON writes its string as it is: maybe not JSON.
	fuzzLoud string
	// fuzzErr's Error panics on a nil receiver.
	fuzzErr struct{ msg string }
)

func (p *fuzzPicky) UnmarshalJSON(b []byte) error {
	switch s := string(b); s {
	case `"bad"`:
		return errors.New("picky: bad")
	case `"boom"`:
		panic("picky: boom")
	default:
		p.s = s
		return nil
	}
}

func (l fuzzLoud) MarshalJSON() ([]byte, error) { return []byte(l), nil }

func (e *fuzzErr) Error() string { return e.msg }

// fuzzService is a service of the fuzzed registry and what it may do
// besides succeed or refuse its arguments.
type fuzzService struct {
	name   string
	fn     any
	errs   bool // may return an error: *ServiceError
	panics bool // may panic: *PanicError
	result bool // a result may not encode: ErrResult
}

var fuzzServices = []fuzzService{
	{name: "add", fn: func(a, b int) int { return a + b }},
	{name: "div", fn: func(a, b float64) (float64, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	}, errs: true, result: true}, // 1e308/1e-308 is +Inf
	{name: "concat", fn: func(sep string, parts ...string) string { return strings.Join(parts, sep) }},
	{name: "doc", fn: func(d fuzzDoc) (int, []string, map[string]int) {
		n := map[string]int{}
		for k, v := range d.Attrs {
			n[k] = len(v)
		}
		return len(d.Kids), d.Tags, n
	}},
	{name: "ptr", fn: func(p *fuzzPoint, d *fuzzDoc) string {
		return fmt.Sprint(p != nil, d != nil)
	}},
	{name: "bytes", fn: func(b []byte, more ...[]byte) []byte { return append(b, bytes.Join(more, nil)...) }},
	{name: "pair", fn: func(a, b []byte, s string) ([]byte, string, []byte, json.RawMessage) {
		return a, s, b, nil
	}},
	{name: "ctx", fn: func(ctx context.Context, n int) (int, error) {
		if n < 0 {
			return 0, fmt.Errorf("negative: %d", n)
		}
		return n, ctx.Err()
	}, errs: true},
	{name: "index", fn: func(xs []int, i int) int { return xs[i] }, panics: true},
	{name: "any", fn: func(v any) any { return v }},
	{name: "raw", fn: func(r json.RawMessage) json.RawMessage { return r }, result: true},
	{name: "picky", fn: func(p fuzzPicky, q *fuzzPicky) string { return p.s }, panics: true},
	{name: "loud", fn: func(s string) fuzzLoud { return fuzzLoud(s) }, result: true},
	{name: "none", fn: func() {}},
	{name: "maps", fn: func(m map[int]string, n map[string]*fuzzPoint, u map[uint8]bool) int { return len(m) + len(n) + len(u) }},
	{name: "arr", fn: func(a [3]uint8, u uint16, i int8, f float32) ([2]int, error) {
		return [2]int{int(a[0]), int(i)}, nil
	}},
	{name: "err", fn: func(s string) error {
		switch s {
		case "typed nil":
			var e *fuzzErr
			return e // Error panics
		case "":
			return nil
		}
		return &fuzzErr{s}
	}, errs: true, panics: true},
	// Variadic, the slice spread or as one element (PROTOCOL.md section 3).
	{name: "sum", fn: func(xs ...int) int {
		n := 0
		for _, x := range xs {
			n += x
		}
		return n
	}},
	{name: "lists", fn: func(xss ...[]int) int { return len(xss) }},
}

func fuzzRegistry() *registry.Registry {
	reg := registry.New()
	for _, s := range fuzzServices {
		reg.AddService("fuzz", s.name, s.fn)
	}
	return reg
}

var bytesType = reflect.TypeOf([]byte(nil))

// FuzzInvoke calls a service of varied signature with fuzzed arguments and
// blobs, through Invoke (minBlob < 0) or InvokeBlobs. It never lets a panic
// escape; its error is one of those it documents, and only for a service
// that can produce it (a panic of the decoder recovered as the service's
// would show here); on success it appends a JSON array of the service's
// results, each []byte result of at least minBlob bytes written as the
// index of its blob.
func FuzzInvoke(f *testing.F) {
	reg := fuzzRegistry()
	for i := range fuzzServices {
		f.Add(uint8(i), []byte(`[]`), uint8(0), int16(-1))
		f.Add(uint8(i), []byte(`[1,"a",{"name":"x"},null,[0]]`), uint8(2), int16(1))
	}
	f.Fuzz(func(t *testing.T, which uint8, args []byte, nblobs uint8, minBlob int16) {
		s := fuzzServices[int(which)%len(fuzzServices)]
		svc, err := reg.Lookup("fuzz", s.name)
		if err != nil {
			t.Fatal(err)
		}
		var blobs [][]byte
		for i := 0; i < int(nblobs%4); i++ {
			blobs = append(blobs, []byte(fmt.Sprintf("blob %d", i)))
		}
		const prefix = `{"sequence":1,"reply":`
		dst := []byte(prefix)
		var out []byte
		var sent [][]byte
		if minBlob < 0 {
			out, err = svc.Invoke(context.Background(), args, blobs, dst)
		} else {
			out, sent, err = svc.InvokeBlobs(context.Background(), args, blobs, dst, int(minBlob))
		}
		if !bytes.HasPrefix(out, []byte(prefix)) {
			t.Fatalf("Invoke(%q) returned %q: dst's bytes were not kept", args, out)
		}
		if registry.UsesJSONDec(svc) {
			// The codec alone must make the same of the arguments.
			restore := registry.WithoutJSONDec(svc)
			slowOut, _, slowErr := svc.InvokeBlobs(context.Background(), args, blobs, []byte(prefix), int(minBlob))
			restore()
			if !bytes.Equal(out, slowOut) || fmt.Sprint(err) != fmt.Sprint(slowErr) {
				t.Fatalf("%s(%q) = %q, %v; with the codec alone %q, %v", s.name, args, out, err, slowOut, slowErr)
			}
		}
		if err != nil {
			checkInvokeError(t, s, args, err)
			if sent != nil {
				t.Fatalf("Invoke(%q) failed (%v) and returned %d blobs", args, err, len(sent))
			}
			return
		}
		reply := out[len(prefix):]
		var results []json.RawMessage
		if !json.Valid(reply) || json.Unmarshal(reply, &results) != nil {
			t.Fatalf("Invoke(%q) appended %q: not a JSON array", args, reply)
		}
		// It goes in a frame: UTF-8, one line (PROTOCOL.md section 2).
		if !utf8.Valid(reply) || bytes.ContainsAny(reply, "\r\n") {
			t.Fatalf("Invoke(%q) appended %q: not UTF-8 on one line", args, reply)
		}
		want := svc.Type().NumOut()
		if want > 0 && svc.Type().Out(want-1).String() == "error" {
			want--
		}
		if len(results) != want {
			t.Fatalf("Invoke(%q) appended %d results %q, want %d", args, len(results), reply, want)
		}
		checkBlobResults(t, svc.Type(), args, results, sent, int(minBlob))
		checkAgainstEncodingJSON(t, s.name, args, results)
	})
}

// checkBlobResults checks that exactly the []byte results of at least
// minBlob bytes were sent as blobs, numbered in order.
func checkBlobResults(t *testing.T, ft reflect.Type, args []byte, results []json.RawMessage, sent [][]byte, minBlob int) {
	t.Helper()
	k := 0
	for i, r := range results {
		if ft.Out(i) != bytesType {
			continue
		}
		var n int
		if r[0] == '-' || '0' <= r[0] && r[0] <= '9' { // a blob index
			if err := json.Unmarshal(r, &n); err != nil {
				t.Fatalf("Invoke(%q): result %d is %s: %v", args, i, r, err)
			}
			if minBlob < 0 || n != k || k >= len(sent) || len(sent[k]) < minBlob {
				t.Fatalf("Invoke(%q) with minBlob %d: result %d is %s, with %d blobs sent (%d before it)", args, minBlob, i, r, len(sent), k)
			}
			k++
			continue
		}
		var b []byte
		if err := json.Unmarshal(r, &b); err != nil || minBlob >= 0 && len(b) >= minBlob {
			t.Fatalf("Invoke(%q) with minBlob %d: result %d is %s (%v), want a blob index or base64 of fewer bytes", args, minBlob, i, r, err)
		}
	}
	if k != len(sent) {
		t.Fatalf("Invoke(%q) with minBlob %d sent %d blobs, its results name %d", args, minBlob, len(sent), k)
	}
}

func checkInvokeError(t *testing.T, s fuzzService, args []byte, err error) {
	t.Helper()
	var se *registry.ServiceError
	var pe *registry.PanicError
	switch {
	case errors.Is(err, registry.ErrBadArguments):
		if !strings.Contains(err.Error(), "fuzz."+s.name) {
			t.Fatalf("Invoke(%q): %v does not name the service", args, err)
		}
	case errors.As(err, &pe):
		if !s.panics || !errors.Is(err, registry.ErrPanic) {
			t.Fatalf("Invoke(%q) of %s, which does not panic on its own: %v\n%s", args, s.name, err, pe.Stack)
		}
	case errors.As(err, &se):
		if !s.errs {
			t.Fatalf("Invoke(%q) of %s, which returns no error: %v", args, s.name, err)
		}
	case errors.Is(err, registry.ErrResult):
		if !s.result {
			t.Fatalf("Invoke(%q) of %s, whose results always encode: %v", args, s.name, err)
		}
	default:
		t.Fatalf("Invoke(%q) of %s returned %v (%T), not an error Invoke documents", args, s.name, err, err)
	}
}

// checkAgainstEncodingJSON compares a few simple services with what
// encoding/json makes of the same arguments, when it accepts them.
func checkAgainstEncodingJSON(t *testing.T, name string, args []byte, results []json.RawMessage) {
	t.Helper()
	var want any
	switch name {
	case "add":
		var a [2]int
		var elems []json.RawMessage
		if json.Unmarshal(args, &elems) != nil || len(elems) != 2 ||
			json.Unmarshal(elems[0], &a[0]) != nil || json.Unmarshal(elems[1], &a[1]) != nil {
			return
		}
		want = a[0] + a[1]
	case "concat":
		var parts []string
		if json.Unmarshal(args, &parts) != nil || len(parts) == 0 {
			var sep string
			var elems []json.RawMessage
			if json.Unmarshal(args, &elems) != nil || len(elems) != 2 ||
				json.Unmarshal(elems[0], &sep) != nil || json.Unmarshal(elems[1], &parts) != nil {
				return
			}
			parts = append([]string{sep}, parts...) // the variadic slice as one element
		}
		want = strings.Join(parts[1:], parts[0])
	case "sum":
		var xs []int
		if json.Unmarshal(args, &xs) != nil {
			var one [][]int
			if json.Unmarshal(args, &one) != nil || len(one) != 1 {
				return
			}
			xs = one[0] // the variadic slice as one element
		}
		n := 0
		for _, x := range xs {
			n += x
		}
		want = n
	case "lists":
		var xss [][]int
		if json.Unmarshal(args, &xss) != nil {
			return
		}
		want = len(xss) // spread only: []int may be an array
	default:
		return
	}
	wb, _ := json.Marshal(want)
	var got, exp any
	json.Unmarshal(results[0], &got)
	json.Unmarshal(wb, &exp)
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Fatalf("%s(%q) = %s; encoding/json reads the arguments as giving %s", name, args, results[0], wb)
	}
}
