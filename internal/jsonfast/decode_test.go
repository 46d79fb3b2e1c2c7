package jsonfast

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/internal/wire"
)

type inner struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Age   int32  `json:"age"`
}

type item struct {
	SKU   string  `json:"sku"`
	Qty   int32   `json:"qty"`
	Price float64 `json:"price"`
	Note  string
	skip  int //nolint:unused // unexported: not decoded
	Dash  int `json:"-"`
	Minus int `json:"-,"`
}

type upper struct{ S string }

func (u *upper) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	u.S = strings.ToUpper(s)
	return nil
}

func (u upper) MarshalJSON() ([]byte, error) { return json.Marshal(strings.ToLower(u.S)) }

type treeNode struct {
	V    int         `json:"v"`
	Next *treeNode   `json:"next"`
	Kids []*treeNode `json:"kids"`
}

type celsius float64

type uint8alias uint8 // a []uint8alias is base64 to the codec, by its kind

type record struct {
	ID      int64              `json:"id"`
	U8      uint8              `json:"u8"`
	I8      int8               `json:"i8"`
	U64     uint64             `json:"u64"`
	Name    string             `json:"name"`
	Active  bool               `json:"active"`
	Tags    []string           `json:"tags"`
	Owner   inner              `json:"owner"`
	OwnerP  *inner             `json:"ownerp"`
	Items   []item             `json:"items"`
	Scores  []float64          `json:"scores"`
	Temp    celsius            `json:"temp"`
	F32     float32            `json:"f32"`
	M       map[string]int     `json:"m"`
	Any     any                `json:"any"`
	Arr     [2]int             `json:"arr"`
	Raw     json.RawMessage    `json:"raw"`
	Num     json.Number        `json:"num"`
	Bytes   []byte             `json:"bytes"`
	When    time.Time          `json:"when"`
	Up      upper              `json:"up"`
	UpP     *upper             `json:"upp"`
	Tree    *treeNode          `json:"tree"`
	Grid    [][]int            `json:"grid"`
	PtrPtr  **int              `json:"pp"`
	Nested  map[string][]inner `json:"nested"`
	Ignored int                `json:"-"`
}

// check decodes data into a new T with d and with the codec. When d takes
// the value, the codec must take it too and decode the same value, and d
// must end where the value does. It reports whether d took it.
func check[T any](t *testing.T, d *Decoder, data string) bool {
	t.Helper()
	var fast, slow T
	end := d.Decode([]byte(data), 0, reflect.ValueOf(&fast).UnsafePointer())
	err := wire.JSON.Unmarshal([]byte(data), &slow)
	if end < 0 {
		return false
	}
	if wire.SpaceEnd([]byte(data), end) != len(data) {
		// More follows the value, for Decode's caller to judge.
		err = wire.JSON.Unmarshal([]byte(data[:end]), &slow)
	}
	if err != nil {
		t.Fatalf("%s: jsonfast took %q as %+v; the codec refused it: %v", data, data[:end], fast, err)
	}
	if !reflect.DeepEqual(slow, fast) { // nil and empty slices differ, as they should
		diff := cmp.Diff(slow, fast, cmp.Exporter(func(reflect.Type) bool { return true }))
		t.Fatalf("%s: jsonfast and the codec differ (-codec +jsonfast):\n%s", data, diff)
	}
	return true
}

func TestDecodesAsTheCodec(t *testing.T) {
	d := For(reflect.TypeFor[record]())
	if d == nil {
		t.Fatal("For(record) = nil")
	}
	took := map[bool]int{}
	for _, data := range []string{
		`{}`, `null`, ` { } `,
		`{"id":-9223372036854775808,"u8":255,"i8":-128,"u64":18446744073709551615}`,
		`{"name":"plain","active":true,"tags":["a","b",""],"tags2":[1,{"x":[]}]}`,
		`{"name":"esc\"aped\u00e9\n","tags":["\ud83d\ude00","\ud800"]}`,
		`{"name":"caf` + "\xc3\xa9 \xff" + `"}`,
		`{"NAME":"folded","Active":true,"ID":7,"Owner":{"NAME":"x","Age":3}}`,
		`{"owner":{"name":"n","email":"e","age":30},"ownerp":{"name":"p"}}`,
		`{"ownerp":null,"tags":null,"items":null,"tree":null,"name":null,"id":null,"active":null,"owner":null}`,
		`{"items":[{"sku":"a","qty":1,"price":0.99,"Note":"n","skip":5,"Dash":6,"-":7},{}],"scores":[0,-0,1e3,1.5E-3,0.14285714285714285,123456789012345678901234567890]}`,
		`{"items":[],"scores":[],"tags":[],"grid":[[],[1],[2,3]]}`,
		`{"temp":-40.5,"f32":0.1,"m":{"a":1,"b":2},"any":{"x":[1,"y",null,true]},"arr":[1,2]}`,
		`{"raw":{"a" : [1, 2]},"num":1e400,"bytes":"aGVsbG8=","when":"2026-12-03T15:40:25Z","up":"shout","upp":"x"}`,
		`{"tree":{"v":1,"next":{"v":2,"next":null},"kids":[{"v":3},null,{"v":4,"kids":[]}]}}`,
		`{"pp":5,"nested":{"k":[{"name":"a"}]}}`,
		`{"bytes":""}`, `{"bytes":null}`, `{"bytes":[1,2,255]}`, `{"bytes":"aGVs\nbG8="}`, `{"bytes":"aGVsbG8"}`, `{"bytes":"!!"}`,
		`{"bytes":"aGVs` + "\n" + `bG8="}`, `{"bytes":"aGVsbG8=","items":[]}`, `{"bytes":"AA==" }`, `{"bytes":"A===" }`,
		"\t{\n\"id\" : 1 ,\r\n\"tags\" : [ \"a\" , \"b\" ] }\n",
		`{"unknown":{"deep":[1,2,{"x":"}"}]},"id":2,"other":"\\\""}`,
		// declined, or refused by both: wrong types, ranges, grammar
		`{"id":1.0}`, `{"id":1e2}`, `{"id":9223372036854775808}`, `{"u8":256}`, `{"u8":-1}`, `{"i8":-129}`,
		`{"id":"1"}`, `{"name":1}`, `{"active":"true"}`, `{"tags":"a"}`, `{"owner":[]}`, `{"scores":[1,"2"]}`,
		`{"scores":[1e400]}`, `{"id":01}`, `{"id":-}`, `{"scores":[.5]}`, `{"scores":[1.]}`, `{"id":1,}`, `{"id" 1}`,
		`{"id":1,"id":2}`, `{"ID":1,"id":2}`, `{"ownerp":{"name":"a"},"ownerp":{"age":1}}`, `{"tree":{"v":1},"tree":null}`, `{"n\u0061me":"x"}`, `{"nam` + "\xc3\xa9" + `":"x"}`, `{"name":"a` + "\x01" + `"}`,
		`{"tags":["a",]}`, `{"tags":["a" "b"]}`, `{"tags":[`, `{"id":1`, `{"name":"abc`, `{"active":tru}`, `{"active":nul}`,
		`[1]`, `"x"`, `1`, `{"id":1}x`, `{"tree":{"v":1,"next":{"v":"2"}}}`, `{"m":{"a":"x"}}`, `{"arr":[1,2,3]}`,
	} {
		took[check[record](t, d, data)]++
	}
	if took[true] < 20 {
		t.Fatalf("jsonfast took %d of the values and declined %d: it should take the plain ones", took[true], took[false])
	}
}

// TestDecodesRandomValues encodes random records with the codec, with
// member names in random case and random whitespace, and decodes them: all
// must be taken and agree with the codec.
func TestDecodesRandomValues(t *testing.T) {
	d := For(reflect.TypeFor[record]())
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		v := randomRecord(r)
		b, err := wire.JSON.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		data := mangle(r, b)
		if !check[record](t, d, data) && !strings.Contains(data, `\`) {
			t.Fatalf("value %d: jsonfast declined %s", n, data)
		}
	}
}

func randomRecord(r *rand.Rand) record {
	str := func() string {
		const chars = "abcXYZ 09é😀\"\\/\n<>&"
		rs := []rune(chars)
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteRune(rs[r.IntN(len(rs))])
		}
		return b.String()
	}
	f := func() float64 {
		switch r.IntN(4) {
		case 0:
			return float64(r.IntN(1000)) / 7
		case 1:
			return r.NormFloat64() * 1e300
		case 2:
			return float64(r.Int64())
		}
		return r.Float64()
	}
	v := record{ID: r.Int64() - r.Int64(), U8: uint8(r.Uint32()), I8: int8(r.Uint32()), U64: r.Uint64(),
		Name: str(), Active: r.IntN(2) == 0, Owner: inner{Name: str(), Age: r.Int32()}, Temp: celsius(f()),
		F32: float32(f() / 1e280), M: map[string]int{str(): r.IntN(9)}, Num: "12.5", Up: upper{S: "X"}}
	if r.IntN(2) == 0 {
		v.OwnerP = &inner{Email: str()}
	}
	switch r.IntN(3) {
	case 0:
		v.Bytes = []byte{}
	case 1:
		v.Bytes = make([]byte, r.IntN(40))
		for i := range v.Bytes {
			v.Bytes[i] = byte(r.Uint32())
		}
	}
	for range r.IntN(5) {
		v.Tags = append(v.Tags, str())
		v.Items = append(v.Items, item{SKU: str(), Qty: r.Int32(), Price: f(), Note: str()})
		v.Scores = append(v.Scores, f())
		v.Grid = append(v.Grid, make([]int, r.IntN(3)))
	}
	if r.IntN(2) == 0 {
		v.Tree = &treeNode{V: 1, Kids: []*treeNode{{V: 2}, nil, {V: 3, Next: &treeNode{V: 4}}}}
	}
	return v
}

// mangle changes the case of some member names and puts whitespace
// between some tokens of the JSON b.
func mangle(r *rand.Rand, b []byte) string {
	var out strings.Builder
	inString, key := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			if key && 'a' <= c && c <= 'z' && r.IntN(4) == 0 {
				c -= 'a' - 'A'
			}
			out.WriteByte(c)
			switch c {
			case '\\':
				i++
				out.WriteByte(b[i])
			case '"':
				inString = false
			}
			continue
		}
		if strings.IndexByte(`{}[],:"`, c) >= 0 && r.IntN(5) == 0 {
			out.WriteString([]string{" ", "\n", "\t ", "\r\n"}[r.IntN(4)])
		}
		out.WriteByte(c)
		if c == '"' {
			inString = true
			key = i > 0 && (b[i-1] == '{' || b[i-1] == ',') && bytesAfterStringIsColon(b, i)
		}
	}
	return out.String()
}

func bytesAfterStringIsColon(b []byte, i int) bool {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j+1 < len(b) && b[j+1] == ':'
		}
	}
	return false
}

func TestDeclinedTypes(t *testing.T) {
	type embedded struct{ inner }
	type stringOpt struct {
		N int `json:",string"`
	}
	type foldTwins struct {
		A int `json:"a"`
		B int `json:"A"`
	}
	type quoted struct {
		A int `json:"a\"b"`
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[embedded](), reflect.TypeFor[stringOpt](), reflect.TypeFor[foldTwins](), reflect.TypeFor[quoted](),
		reflect.TypeFor[map[string]int](), reflect.TypeFor[any](), reflect.TypeFor[[]uint8alias](), reflect.TypeFor[time.Time](),
		reflect.TypeFor[json.RawMessage](), reflect.TypeFor[json.Number](), reflect.TypeFor[upper](), reflect.TypeFor[float32](),
	} {
		if d := For(typ); d != nil {
			t.Errorf("For(%v) = a decoder; the codec should decode it whole", typ)
		}
	}
	// A struct the codec names by itself, inside one jsonfast takes: the
	// codec decodes that field.
	type outer struct {
		E embedded `json:"e"`
		N int      `json:"n"`
	}
	d := For(reflect.TypeFor[outer]())
	if d == nil {
		t.Fatal("For(outer) = nil")
	}
	for _, data := range []string{`{"e":{"name":"x","Age":3},"n":1}`, `{"e":null}`, `{"e":{"age":"x"}}`} {
		check[outer](t, d, data)
	}
	if !check[outer](t, d, `{"e":{"name":"x"},"n":2}`) {
		t.Fatal("jsonfast declined a struct whose field the codec decodes")
	}
}

// FuzzDecode decodes arbitrary bytes as a record: jsonfast must not panic,
// and what it takes the codec must take, with the same value.
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		b, _ := wire.JSON.Marshal(randomRecord(r))
		f.Add(b)
	}
	f.Add([]byte(`{"id":1,"tags":["a"],"items":[{"sku":"x"}],"tree":{"kids":[null]}}`))
	d := For(reflect.TypeFor[record]())
	f.Fuzz(func(t *testing.T, data []byte) {
		check[record](t, d, string(data))
	})
}

func BenchmarkDecode(b *testing.B) {
	type bench struct {
		ID     int64     `json:"id"`
		Name   string    `json:"name"`
		Tags   []string  `json:"tags"`
		Owner  inner     `json:"owner"`
		Items  []item    `json:"items"`
		Scores []float64 `json:"scores"`
	}
	v := bench{ID: 1, Name: "inventory", Owner: inner{Name: "Ada", Email: "ada@example.org", Age: 36}}
	for i := range 34 {
		v.Tags = append(v.Tags, fmt.Sprintf("tag-%02d", i))
		v.Items = append(v.Items, item{SKU: fmt.Sprintf("SKU-%06d", i), Qty: int32(i), Price: float64(i)*1.25 + 0.99, Note: "restocked weekly"})
		v.Scores = append(v.Scores, float64(i)/7)
	}
	data, _ := wire.JSON.Marshal(v)
	d := For(reflect.TypeFor[bench]())
	b.Run("jsonfast", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var out bench
			if d.Decode(data, 0, reflect.ValueOf(&out).UnsafePointer()) < 0 {
				b.Fatal("declined")
			}
		}
	})
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var out bench
			if err := wire.JSON.Unmarshal(data, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDeepValuesAreTheCodecs checks that a value nested past maxDepth, in
// a type that holds itself, is left to the codec.
func TestDeepValuesAreTheCodecs(t *testing.T) {
	d := For(reflect.TypeFor[treeNode]())
	for _, n := range []int{maxDepth/2 - 1, maxDepth / 2, maxDepth/2 + 1, maxDepth} {
		data := strings.Repeat(`{"kids":[`, n) + strings.Repeat(`]}`, n)
		took := check[treeNode](t, d, data)
		if took != (2*n <= maxDepth) {
			t.Errorf("%d levels: took = %v", 2*n, took)
		}
	}
}

// TestDeepUnknownMembersAreTheCodecs checks that the levels of a value
// skipped or handed to the codec count with those around it: the codec
// counts them all against its bound (found by review: a member nested 9999
// levels in a struct was taken, which the codec refuses).
func TestDeepUnknownMembersAreTheCodecs(t *testing.T) {
	d := For(reflect.TypeFor[record]())
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		what   string
		data   string
		levels int // the value's, the record's and the owner's included
	}{
		// Skipped: an unknown member of the owner.
		{"unknown", `{"owner":{"zz":` + nested(maxDepth-2) + `}}`, maxDepth},
		{"unknown", `{"owner":{"zz":` + nested(maxDepth-1) + `}}`, maxDepth + 1},
		// Handed to the codec: an interface in the record.
		{"codec's", `{"any":` + nested(maxDepth-1) + `}`, maxDepth},
		{"codec's", `{"any":` + nested(maxDepth) + `}`, maxDepth + 1},
	} {
		if took, want := check[record](t, d, tc.data), tc.levels <= maxDepth; took != want {
			t.Errorf("%s member, %d levels in all: took = %v, want %v", tc.what, tc.levels, took, want)
		}
	}
}
