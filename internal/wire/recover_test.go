package wire

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func seq(n uint64) Recovered { return Recovered{Sequence: n, HasSequence: true} }

func TestRecover(t *testing.T) {
	tests := []struct {
		in   string
		want Recovered
	}{
		// Sequence first, the rest not JSON.
		{`{"sequence":5,"args":[1,,2]}`, seq(5)},
		{`{"sequence":5,garbage`, seq(5)},
		{`{"sequence":5 `, seq(5)},
		{`{"sequence":0}`, seq(0)},
		{`{"sequence":18446744073709551615}`, seq(18446744073709551615)},
		// Sequence last, protocol 1 style, after nested members.
		{`{"type":"call","args":{"a":[1,"]"]},"sequence":6}`, seq(6)},
		{`{"type": "call", "namespace": "calc", "name": "add", "args": [1, 2], "sequence": 7}`, seq(7)},
		{`{"args":{"sequence":3},"sequence":6}`, seq(6)},
		{`{"args":[{"sequence":3}],"x":"\"sequence\":4","sequence":6}`, seq(6)},
		{`{"args":{"sequence":3}}`, Recovered{}},
		{`{"a":"sequence","sequence":8}`, seq(8)},
		{`{"a":"x\\","sequence":8}`, seq(8)},
		{`{"a":true,"b":null,"c":-1.5e3,"sequence":8}`, seq(8)},
		{"{\n\t\"sequence\"\r\n:\n8\n}", seq(8)},
		// Escaped member names are decoded as a JSON parser does.
		{`{"seq\u0075ence":11}`, seq(11)},
		{`{"\u0073\u0065\u0071\u0075\u0065\u006e\u0063\u0065":11}`, seq(11)},
		{`{"\"sequence\"":1,"sequence":12}`, seq(12)},
		{`{"sequence\\":1,"sequence":12}`, seq(12)},
		{`{"se\quence":1,"sequence":12}`, seq(12)}, // an invalid escape names no member
		{`{"Sequence":1}`, Recovered{}},
		// Blobs.
		{`{ "sequence" : 7 , "blobs" : [ 1 , 2 ] }`, Recovered{Sequence: 7, HasSequence: true, Blobs: []int64{1, 2}, HasBlobs: true}},
		{`{"sequence":7,"blobs":[],"args":[`, Recovered{Sequence: 7, HasSequence: true, HasBlobs: true}},
		{`{"blobs":[0,10],"args":"x","sequence":7}`, Recovered{Sequence: 7, HasSequence: true, Blobs: []int64{0, 10}, HasBlobs: true}},
		{`{"sequence":7,"blobs":[4611686018427387904]}`, Recovered{Sequence: 7, HasSequence: true, Blobs: []int64{1 << 62}, HasBlobs: true}},
		{`{"sequence":7,"blobs":[4611686018427387905]}`, seq(7)},
		{`{"sequence":7,"blobs":[-1]}`, seq(7)},
		{`{"sequence":7,"blobs":[1.5]}`, seq(7)},
		{`{"sequence":7,"blobs":[1e3]}`, seq(7)},
		{`{"sequence":7,"blobs":[1,]}`, seq(7)},
		{`{"sequence":7,"blobs":[1 2]}`, seq(7)},
		{`{"sequence":7,"blobs":"3"}`, seq(7)},
		{`{"sequence":7,"blobs":[1,2`, seq(7)},
		{`{"sequence":7,"blobs":[1,2]`, Recovered{Sequence: 7, HasSequence: true, Blobs: []int64{1, 2}, HasBlobs: true}},
		{`{"blobs":[3],"sequence":"x"}`, Recovered{Blobs: []int64{3}, HasBlobs: true}},
		// Values that are not a uint64 sequence.
		{`{"sequence":"7"}`, Recovered{}},
		{`{"sequence":-1}`, Recovered{}},
		{`{"sequence":12.5}`, Recovered{}},
		{`{"sequence":12e3}`, Recovered{}},
		{`{"sequence":12E3}`, Recovered{}},
		{`{"sequence":012}`, Recovered{}},
		{`{"sequence":12x}`, Recovered{}},
		{`{"sequence":null}`, Recovered{}},
		{`{"sequence":true}`, Recovered{}},
		{`{"sequence":[12]}`, Recovered{}},
		{`{"sequence":99999999999999999999999}`, Recovered{}},
		{`{"sequence":18446744073709551616}`, Recovered{}},
		// A bad sequence is skipped: a later one is still found.
		{`{"sequence":"7","sequence":8}`, seq(8)},
		// Cut short: a number at the cut may go on, so it is not recovered.
		{`{"sequence":12`, Recovered{}},
		{`{"sequence":1`, Recovered{}},
		{`{"sequence":`, Recovered{}},
		{`{"sequence"`, Recovered{}},
		{`{"seque`, Recovered{}},
		{`{"args":[1,2`, Recovered{}},
		{`{"args":"abc`, Recovered{}},
		{`{"args":"abc\"`, Recovered{}},
		{`{"args":tru`, Recovered{}},
		// Not an object, or broken before the sequence.
		{`not an object`, Recovered{}},
		{``, Recovered{}},
		{`[{"sequence":1}]`, Recovered{}},
		{`{"a" 1,"sequence":1}`, Recovered{}},
		{`{"a":1 "sequence":1}`, Recovered{}},
		{`{a:1,"sequence":1}`, Recovered{}},
		{`  {"sequence":3}`, seq(3)},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Recover([]byte(tt.in))); diff != "" {
			t.Errorf("Recover(%s) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestRecoverCut recovers from every prefix of frames: a prefix yields the
// sequence of the whole frame or none, never another number.
func TestRecoverCut(t *testing.T) {
	frames := []string{
		`{"sequence":1234567,"blobs":[10,200],"type":"call","args":[1,2]}`,
		`{"type": "call", "args": {"sequence": 99}, "sequence": 1234567, "blobs": [10, 200]}`,
		`{"seq\u0075ence":1234567,"blobs":[10,200]}`,
	}
	for _, frame := range frames {
		whole := Recover([]byte(frame))
		if !whole.HasSequence || whole.Sequence != 1234567 || !cmp.Equal(whole.Blobs, []int64{10, 200}) {
			t.Fatalf("%s: %+v", frame, whole)
		}
		for i := range frame {
			got := Recover([]byte(frame[:i]))
			if got.HasSequence && got.Sequence != whole.Sequence {
				t.Errorf("Recover(%q) = sequence %d", frame[:i], got.Sequence)
			}
			if got.HasBlobs && !cmp.Equal(got.Blobs, whole.Blobs) {
				t.Errorf("Recover(%q) = blobs %v", frame[:i], got.Blobs)
			}
		}
	}
}

// TestRecoverTooLargeHead recovers from the head a Framer keeps of a frame
// it discards: the sequence written first survives however large the rest.
func TestRecoverTooLargeHead(t *testing.T) {
	frame := string(AppendRequest(nil, &Request{
		Sequence: 77, Type: TypeCall, Namespace: "ns", Name: "f", Blobs: []int64{5},
		Args: []byte(`["` + strings.Repeat("a", 100000) + `"]`),
	}))
	f := NewFramer(strings.NewReader(frame+"12345"), 1000)
	fr, err := f.Next()
	if err != nil || !fr.TooLarge {
		t.Fatal(err)
	}
	want := Recovered{Sequence: 77, HasSequence: true, Blobs: []int64{5}, HasBlobs: true}
	if diff := cmp.Diff(want, Recover(fr.Head)); diff != "" {
		t.Fatal(diff)
	}
}
