package stub

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/hostcall/hostcall/internal/wire"
)

type part struct {
	Name  string    `json:"name"`
	Qty   int32     `json:"qty"`
	Price float64   `json:"price"`
	Tags  []string  `json:"tags"`
	Next  *part     `json:"next"`
	Meta  any       `json:"meta"`
	Parts []part    `json:"parts"`
	Bits  []byte    `json:"bits"`
	Score []float64 `json:"score"`
}

// TestDecodeResultsAsTheCodec decodes replies with the jsonfast decoders
// and with the codec alone: results and errors must be the same. The
// replies are encoded results, then cut and changed at random places.
func TestDecodeResultsAsTheCodec(t *testing.T) {
	ft := reflect.TypeFor[func() (int, string, []part, *part, []byte, bool, error)]()
	fast, err := New("service t.f", "host", ft)
	if err != nil {
		t.Fatal(err)
	}
	if fast.fast == nil {
		t.Fatal("no jsonfast decoders for the results")
	}
	slow := *fast
	slow.fast = nil
	blobs := [][]byte{[]byte("blob 0")}
	r := rand.New(rand.NewPCG(9, 10))
	taken := 0
	for n := range 3000 {
		p := part{Name: fmt.Sprint("p", n), Qty: r.Int32(), Price: r.NormFloat64(), Tags: []string{"a<", "\u2028"}, Meta: map[string]any{"k": 1.5},
			Next: &part{Name: "next"}, Parts: []part{{Bits: []byte{1, 2}}}, Bits: []byte("bits"), Score: []float64{1e-7, 1e21}}
		b, err := wire.JSON.Marshal([]any{r.IntN(1000) - 500, "s\"\\", []part{p, {}}, &p, []byte{0, 255}, true})
		if err != nil {
			t.Fatal(err)
		}
		reply := b
		switch r.IntN(4) {
		case 1:
			reply = reply[:r.IntN(len(reply)+1)]
		case 2:
			reply = append([]byte(nil), reply...)
			const bytes = "0[]{}\",:nx-1.e\\ "
			reply[r.IntN(len(reply))] = bytes[r.IntN(len(bytes))]
		case 3:
			reply = []byte(`[1,"s",null,null,0,false]`) // a blob's index for the []byte
		}
		got, gotErr := fast.DecodeResults(reply, blobs)
		want, wantErr := slow.DecodeResults(reply, blobs)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%s: error %v, with the codec alone %v", reply, gotErr, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d results, with the codec alone %d", reply, len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i].Interface(), want[i].Interface()) {
				t.Fatalf("%s: result %d = %#v, with the codec alone %#v", reply, i, got[i].Interface(), want[i].Interface())
			}
		}
		if gotErr == nil {
			taken++
		}
	}
	if taken < 500 {
		t.Fatalf("only %d of 3000 replies decoded", taken)
	}
}

// TestEncodeArgsAsTheCodec encodes arguments with the jsonfast encoders and
// with the codec alone: the bytes must be the same.
func TestEncodeArgsAsTheCodec(t *testing.T) {
	ft := reflect.TypeFor[func(int, string, part, *part, []byte, ...part) error]()
	fast, err := New("service t.f", "host", ft)
	if err != nil {
		t.Fatal(err)
	}
	slow := *fast
	slow.encs = nil
	p := part{Name: "<&>", Qty: -3, Price: 1e-7, Next: &part{}, Meta: []any{nil, "x"}, Bits: []byte{}, Score: []float64{0.1}}
	for _, in := range [][]any{
		{1, "s", p, &p, []byte("abc"), []part{p, {}}},
		{0, "", part{}, (*part)(nil), []byte(nil), []part(nil)},
	} {
		vals := make([]reflect.Value, len(in))
		for i, v := range in {
			vals[i] = reflect.ValueOf(v)
			if v == nil {
				vals[i] = reflect.Zero(ft.In(i))
			}
		}
		for _, minBlob := range []int{-1, 2} {
			got, gotBlobs, gotErr := fast.EncodeArgs(vals, minBlob, nil)
			want, wantBlobs, wantErr := slow.EncodeArgs(vals, minBlob, nil)
			if string(got) != string(want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(gotBlobs, wantBlobs) {
				t.Fatalf("EncodeArgs(%v, %d) = %s, %v; with the codec alone %s, %v", in, minBlob, got, gotErr, want, wantErr)
			}
		}
	}
}
