package wire

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// readAll collects every frame of input, read through r's wrapper.
func readAll(t *testing.T, r io.Reader, max int) (frames []string, large []Frame, err error) {
	t.Helper()
	f := NewFramer(r, max)
	for {
		fr, err := f.Next()
		if err != nil {
			return frames, large, err
		}
		if fr.TooLarge {
			large = append(large, fr)
			frames = append(frames, "<too large>")
			continue
		}
		frames = append(frames, string(fr.Data))
	}
}

func TestFramerStyles(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"newline separated", "{\"sequence\":1}\n{\"sequence\":2}\n", []string{`{"sequence":1}`, `{"sequence":2}`}},
		{"back to back", `{"a":1}{"b":{"c":[1,2]}}`, []string{`{"a":1}`, `{"b":{"c":[1,2]}}`}},
		{"spaces and sequence last", `{"type": "call", "sequence": 7}  {"x": "}"}`, []string{`{"type": "call", "sequence": 7}`, `{"x": "}"}`}},
		{"braces and escapes in strings", `{"s":"{\"}\\"}{"t":"\\\\"}`, []string{`{"s":"{\"}\\"}`, `{"t":"\\\\"}`}},
		{"garbage between", `xx]}{"a":1} 42 garbage {"b":2}`, []string{`{"a":1}`, `{"b":2}`}},
		{"crlf and tabs", "\r\n\t{\"a\":1}\r\n", []string{`{"a":1}`}},
	}
	for _, tt := range tests {
		for _, wrap := range []struct {
			name string
			fn   func(io.Reader) io.Reader
		}{{"whole", func(r io.Reader) io.Reader { return r }}, {"bytewise", iotest.OneByteReader}, {"halves", iotest.HalfReader}} {
			t.Run(tt.name+"/"+wrap.name, func(t *testing.T) {
				got, _, err := readAll(t, wrap.fn(strings.NewReader(tt.input)), 1<<20)
				if err != io.EOF {
					t.Fatalf("end: %v, want io.EOF", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("frames (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestFramerTruncated(t *testing.T) {
	got, _, err := readAll(t, iotest.OneByteReader(strings.NewReader(`{"a":1}{"sequence":2,"x":"ab`)), 1<<20)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if diff := cmp.Diff([]string{`{"a":1}`}, got); diff != "" {
		t.Fatal(diff)
	}
}

func TestFramerTooLarge(t *testing.T) {
	big := `{"sequence":9,"args":["` + strings.Repeat("x", 100000) + `"]}`
	input := `{"sequence":1}` + big + `{"sequence":2}`
	for _, r := range []io.Reader{strings.NewReader(input), iotest.HalfReader(strings.NewReader(input))} {
		f := NewFramer(r, 1000)
		var got []string
		for {
			fr, err := f.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if fr.TooLarge {
				if fr.Size != int64(len(big)) {
					t.Errorf("size %d, want %d", fr.Size, len(big))
				}
				rec := Recover(fr.Head)
				if !rec.HasSequence || rec.Sequence != 9 {
					t.Errorf("recovered %+v from head, want sequence 9", rec)
				}
				got = append(got, "large")
				continue
			}
			got = append(got, string(fr.Data))
		}
		if diff := cmp.Diff([]string{`{"sequence":1}`, "large", `{"sequence":2}`}, got); diff != "" {
			t.Fatal(diff)
		}
		if len(f.buf) > 1000+headSize+1 {
			t.Errorf("buffer grew to %d bytes for a limit of 1000", len(f.buf))
		}
	}
}

func TestFramerBlobs(t *testing.T) {
	input := "{\"sequence\":1,\"blobs\":[3,0,4]}\nabc{}}x{\"sequence\":2}"
	f := NewFramer(iotest.OneByteReader(strings.NewReader(input)), 1<<10)
	fr, err := f.Next()
	if err != nil {
		t.Fatal(err)
	}
	var req Request
	if err := ParseRequest(fr.Data, &req); err != nil {
		t.Fatal(err)
	}
	blobs, err := f.ReadBlobs(req.Blobs, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]byte{[]byte("abc"), {}, []byte("{}}x")}, blobs); diff != "" {
		t.Fatal(diff)
	}
	fr, err = f.Next()
	if err != nil || string(fr.Data) != `{"sequence":2}` {
		t.Fatalf("after blobs: %q, %v", fr.Data, err)
	}
}

func TestRecover(t *testing.T) {
	tests := []struct {
		in   string
		want Recovered
	}{
		{`{"sequence":5,"args":[1,,2]}`, Recovered{Sequence: 5, HasSequence: true}},
		{`{"type":"call","args":{"a":[1,"]"]},"sequence":6}`, Recovered{Sequence: 6, HasSequence: true}},
		{`{ "sequence" : 7 , "blobs" : [ 1 , 2 ] }`, Recovered{Sequence: 7, HasSequence: true, Blobs: []int64{1, 2}, HasBlobs: true}},
		{`{"sequence":"7"}`, Recovered{}},
		{`{"sequence":-1}`, Recovered{}},
		{`{"sequence":12`, Recovered{}},
		{`{"args":[1,2`, Recovered{}},
		{`{"sequence":99999999999999999999999}`, Recovered{}},
		{`not an object`, Recovered{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Recover([]byte(tt.in))); diff != "" {
			t.Errorf("Recover(%s) (-want +got):\n%s", tt.in, diff)
		}
	}
}
