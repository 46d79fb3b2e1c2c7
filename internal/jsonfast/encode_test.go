package jsonfast

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"

	jsoniter "github.com/json-iterator/go"

	"github.com/hostcall/hostcall/internal/wire"
)

type omit struct {
	B  bool              `json:"b,omitempty"`
	Bs []byte            `json:"bs,omitempty"`
	I  int16             `json:"i,omitempty"`
	U  uint              `json:"u,omitempty"`
	F  float64           `json:"f,omitempty"`
	S  string            `json:"s,omitempty"`
	L  []int             `json:"l,omitempty"`
	P  *inner            `json:"p,omitempty"`
	M  map[string]string `json:"m,omitempty"`
	A  any               `json:"a,omitempty"`
	In inner             `json:"in,omitempty"`
	Z  int               `json:"z,omitzero"`
	Up upper             `json:"up,omitempty"`
}

// codecs are the configurations Encoders serve: the wire's and the one
// registry encodes results with.
var codecs = map[string]jsoniter.API{
	"wire":    wire.JSON,
	"results": jsoniter.Config{EscapeHTML: true, SortMapKeys: true}.Froze(),
}

// checkEncode encodes v with enc and with the codec: when enc takes it,
// the bytes must be the codec's.
func checkEncode(t *testing.T, codec jsoniter.API, enc *Encoder, v any) bool {
	t.Helper()
	rv := reflect.New(reflect.TypeOf(v))
	rv.Elem().Set(reflect.ValueOf(v))
	got, ok := enc.Append([]byte("prefix"), rv.UnsafePointer())
	want, err := codec.Marshal(v)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("%+v: Encoder wrote %s; the codec refused it: %v", v, got, err)
	}
	if string(got) != "prefix"+string(want) {
		t.Fatalf("%+v:\nEncoder wrote %s\nthe codec     %s", v, got[len("prefix"):], want)
	}
	return true
}

func TestEncodesAsTheCodec(t *testing.T) {
	strs := []string{"", "plain", "quote\" back\\ slash/", "<a href='x'>&amp;</a>", "\x00\x01\x08\x0c\x1f\x7f\n\r\t",
		"é😀 \u2028\u2029 \ufffd", "bad \xff \xc3 utf8 \xed\xa0\x80", "\"\\\u00e9"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1.0 / 3, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789e15,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -1e-10, 5e-324, float64(1 << 53), 1e100}
	for name, codec := range codecs {
		e := NewEncoders(codec)
		rec := e.For(reflect.TypeFor[record]())
		om := e.For(reflect.TypeFor[omit]())
		if rec == nil || om == nil {
			t.Fatalf("%s: For(record) = %v, For(omit) = %v", name, rec, om)
		}
		for _, s := range strs {
			checkEncode(t, codec, rec, record{Name: s, Tags: []string{s, s + s}, M: map[string]int{s: 1}, Any: s})
		}
		for _, f := range floats {
			checkEncode(t, codec, rec, record{Scores: []float64{f, -f}, Temp: celsius(f), Items: []item{{Price: f}}})
			checkEncode(t, codec, om, omit{F: f})
		}
		for _, v := range []omit{{}, {Bs: []byte{}}, {Bs: []byte("x")}, {B: true, I: -1, U: 2, S: "x", L: []int{}, P: &inner{}, M: map[string]string{}, A: 0}, {L: []int{1}, M: map[string]string{"k": "v"}, Up: upper{S: "X"}}} {
			if !checkEncode(t, codec, om, v) {
				t.Fatalf("%s: Encoder declined %+v", name, v)
			}
		}
		r := rand.New(rand.NewPCG(5, 6))
		for range 500 {
			v := randomRecord(r)
			if !checkEncode(t, codec, rec, v) {
				t.Fatalf("%s: Encoder declined %+v", name, v)
			}
		}
		// Declined: floats JSON has no number for, which the codec refuses.
		for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			if checkEncode(t, codec, rec, record{Scores: []float64{f}}) {
				t.Fatalf("%s: Encoder took %v", name, f)
			}
		}
	}
}

func TestEncodersForTypesTheCodecWrites(t *testing.T) {
	type embedded struct{ inner }
	type twins struct {
		A int `json:"a"`
		B int `json:"A"`
	}
	type html struct {
		A int `json:"<a>"`
	}
	e := NewEncoders(wire.JSON)
	for _, typ := range []reflect.Type{
		reflect.TypeFor[embedded](), reflect.TypeFor[twins](), reflect.TypeFor[html](), reflect.TypeFor[map[string]int](),
		reflect.TypeFor[any](), reflect.TypeFor[[]uint8alias](), reflect.TypeFor[json.RawMessage](), reflect.TypeFor[float32](), reflect.TypeFor[upper](),
	} {
		if enc := e.For(typ); enc != nil {
			t.Errorf("For(%v) = an Encoder; the codec should write it whole", typ)
		}
	}
}

// FuzzEncode encodes records built from fuzzed strings and numbers: what
// the Encoder takes, it writes as the codec.
func FuzzEncode(f *testing.F) {
	f.Add("a<b", 1.5, int64(-3), uint64(7))
	f.Add("\xff\u2028", 1e-7, int64(0), uint64(0))
	enc := NewEncoders(wire.JSON).For(reflect.TypeFor[record]())
	f.Fuzz(func(t *testing.T, s string, x float64, i int64, u uint64) {
		checkEncode(t, wire.JSON, enc, record{ID: i, U64: u, Name: s, Tags: []string{s}, Scores: []float64{x}, Temp: celsius(x),
			Owner: inner{Email: s}, OwnerP: &inner{Name: s}, Items: []item{{Note: s, Price: x}}, M: map[string]int{s: int(i)}})
	})
}

// TestAppendValue encodes values held by reflect.Values without an
// address, the way results and arguments come: through the interface
// v.Interface() makes, whose data word is the value itself for types
// shaped like a pointer.
func TestAppendValue(t *testing.T) {
	type onePtr struct{ P *inner }
	n := 7
	e := NewEncoders(wire.JSON)
	for _, v := range []any{1, 300, int8(-5), "s", 2.5, true, &inner{Name: "p"}, (*inner)(nil), onePtr{P: &inner{Age: 3}}, onePtr{},
		[]int{1, 2}, inner{Name: "v"}, &n, record{Name: "r", Tags: []string{"t"}}} {
		enc := e.For(reflect.TypeOf(v))
		if enc == nil {
			t.Fatalf("For(%T) = nil", v)
		}
		for _, rv := range []reflect.Value{reflect.ValueOf(v), reflect.ValueOf(&v).Elem().Elem()} {
			got, ok := enc.AppendValue(nil, rv)
			want, _ := wire.JSON.Marshal(v)
			if !ok || string(got) != string(want) {
				t.Errorf("AppendValue(%T %v) = %s, %v; the codec writes %s", v, v, got, ok, want)
			}
		}
		addr := reflect.New(reflect.TypeOf(v)).Elem()
		addr.Set(reflect.ValueOf(v))
		if got, _ := enc.AppendValue(nil, addr); string(got) != string(must(wire.JSON.Marshal(v))) {
			t.Errorf("AppendValue(addressable %T) = %s", v, got)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func BenchmarkEncode(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	v := randomRecord(r)
	for len(v.Items) < 30 {
		w := randomRecord(r)
		v.Items, v.Tags, v.Scores = append(v.Items, w.Items...), append(v.Tags, w.Tags...), append(v.Scores, w.Scores...)
	}
	v.Any, v.M, v.Nested = nil, nil, nil // the codec's alone
	enc := NewEncoders(wire.JSON).For(reflect.TypeFor[record]())
	rv := reflect.ValueOf(v)
	buf := make([]byte, 0, 16<<10)
	b.Run("jsonfast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := enc.AppendValue(buf[:0], rv); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		stream := wire.JSON.BorrowStream(nil)
		defer wire.JSON.ReturnStream(stream)
		for b.Loop() {
			stream.SetBuffer(buf[:0])
			stream.WriteVal(v)
			if stream.Error != nil {
				b.Fatal(stream.Error)
			}
		}
	})
}

type ptrJSON struct{ V int }

func (p *ptrJSON) MarshalJSON() ([]byte, error) { return []byte(`"custom"`), nil }

type ptrText struct{ V int }

func (p *ptrText) MarshalText() ([]byte, error) { return []byte("text"), nil }

type ptrMarshalers struct {
	F  ptrJSON    `json:"f"`
	L  []ptrJSON  `json:"l"`
	T  ptrText    `json:"t"`
	TE ptrJSON    `json:"te,omitempty"`
	P  *ptrJSON   `json:"p"`
	PL []*ptrText `json:"pl"`
}

// TestPointerMethodsInsideValues checks types whose MarshalJSON or
// MarshalText is on the pointer: the codec calls them for a field or an
// element, not for a value at the top, and so must the Encoder (found by
// review: it wrote the raw fields, and a big.Int result as {}).
func TestPointerMethodsInsideValues(t *testing.T) {
	for name, codec := range codecs {
		e := NewEncoders(codec)
		enc := e.For(reflect.TypeFor[ptrMarshalers]())
		v := ptrMarshalers{F: ptrJSON{1}, L: []ptrJSON{{2}}, T: ptrText{3}, P: &ptrJSON{4}, PL: []*ptrText{{5}, nil}}
		if !checkEncode(t, codec, enc, v) {
			t.Fatalf("%s: declined %+v", name, v)
		}
		checkEncode(t, codec, enc, ptrMarshalers{})
		if got, _ := enc.AppendValue(nil, reflect.ValueOf(v)); string(got) != string(must(codec.Marshal(v))) {
			t.Fatalf("%s: AppendValue = %s", name, got)
		}
		sl := e.For(reflect.TypeFor[[]ptrJSON]())
		checkEncode(t, codec, sl, []ptrJSON{{5}})
		type withBig struct {
			N big.Int `json:"n"`
		}
		var b withBig
		b.N.SetInt64(12345)
		if !checkEncode(t, codec, e.For(reflect.TypeFor[withBig]()), b) {
			t.Fatalf("%s: declined a big.Int field", name)
		}
	}
}

// TestAppendValueOfPointerSizedStructs encodes, without an address,
// structs of one pointer's size that hold a pointer, which the compiler
// may keep in an interface's data word itself (found by review: the
// Encoder read the pointer as the struct's address). The codec's own
// Marshal fails on some of them, so the Encoder's Append on an address
// is the reference.
func TestAppendValueOfPointerSizedStructs(t *testing.T) {
	type zeroThenPtr struct {
		Z struct{} `json:"z"`
		P *int     `json:"p"`
	}
	type onePtr struct {
		P *int `json:"p"`
	}
	x := 42
	e := NewEncoders(wire.JSON)
	for _, v := range []any{zeroThenPtr{P: &x}, onePtr{P: &x}, [1]*int{&x}, zeroThenPtr{}} {
		enc := e.For(reflect.TypeOf(v))
		if enc == nil {
			continue // the codec's whole
		}
		addr := reflect.New(reflect.TypeOf(v))
		addr.Elem().Set(reflect.ValueOf(v))
		want, ok := enc.Append(nil, addr.UnsafePointer())
		got, ok2 := enc.AppendValue(nil, reflect.ValueOf(v))
		if !ok || !ok2 || string(got) != string(want) {
			t.Errorf("%T: AppendValue = %s, %v; Append on its address = %s, %v", v, got, ok2, want, ok)
		}
	}
}

// TestEncoderDeclinesDeepValues checks the promise that a value nested past
// maxDepth is left to the codec, and one within it is written as the codec
// writes it.
func TestEncoderDeclinesDeepValues(t *testing.T) {
	enc := NewEncoders(wire.JSON).For(reflect.TypeFor[treeNode]())
	chain := func(n int) treeNode { // n nodes, 2 levels each (the pointer, the struct)
		var next *treeNode
		for i := n - 1; i > 0; i-- {
			next = &treeNode{V: i, Next: next}
		}
		return treeNode{Next: next}
	}
	if !checkEncode(t, wire.JSON, enc, chain(maxDepth/2-100)) {
		t.Errorf("declined a chain of %d levels", maxDepth-200)
	}
	if checkEncode(t, wire.JSON, enc, chain(maxDepth/2+100)) {
		t.Errorf("took a chain of %d levels, past maxDepth", maxDepth+200)
	}
}
