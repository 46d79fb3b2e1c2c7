package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// framerCases are streams in every style PROTOCOL.md section 2 lets a peer
// write, with the frames a receiver must find in them.
var framerCases = []struct {
	name  string
	input string
	want  []string
}{
	{"newline separated", "{\"sequence\":1}\n{\"sequence\":2}\n", []string{`{"sequence":1}`, `{"sequence":2}`}},
	{"no final newline", "{\"sequence\":1}\n{\"sequence\":2}", []string{`{"sequence":1}`, `{"sequence":2}`}},
	{"back to back", `{"a":1}{"b":{"c":[1,2]}}{}`, []string{`{"a":1}`, `{"b":{"c":[1,2]}}`, `{}`}},
	{"protocol 1 style", `{"type": "call", "namespace": "calc", "name": "add", "args": [1, 2], "sequence": 7}{"type": "listServices", "namespace": "calc", "sequence": 8}`,
		[]string{`{"type": "call", "namespace": "calc", "name": "add", "args": [1, 2], "sequence": 7}`, `{"type": "listServices", "namespace": "calc", "sequence": 8}`}},
	{"spaces and sequence last", `{"type": "call", "sequence": 7}  {"x": "}"}`, []string{`{"type": "call", "sequence": 7}`, `{"x": "}"}`}},
	{"crlf", "{\"sequence\":1}\r\n{\"sequence\":2}\r\n", []string{`{"sequence":1}`, `{"sequence":2}`}},
	{"crlf and tabs", "\r\n\t{\"a\":1}\r\n", []string{`{"a":1}`}},
	{"whitespace inside", "{ \"a\" :\t[ 1 ,\r\n 2 ] }\n", []string{"{ \"a\" :\t[ 1 ,\r\n 2 ] }"}},
	{"braces and escapes in strings", `{"s":"{\"}\\"}{"t":"\\\\"}`, []string{`{"s":"{\"}\\"}`, `{"t":"\\\\"}`}},
	{"brackets in strings", `{"s":"]]]}}}[[[{{{"}{"t":["]",{"u":"["}]}`, []string{`{"s":"]]]}}}[[[{{{"}`, `{"t":["]",{"u":"["}]}`}},
	{"escaped backslash before quote", `{"s":"a\\"}{"t":"\\\""}`, []string{`{"s":"a\\"}`, `{"t":"\\\""}`}},
	{"unicode escapes", `{"s":"\u007b\u0022\u005c"}{"t":1}`, []string{`{"s":"\u007b\u0022\u005c"}`, `{"t":1}`}},
	{"protocol 2 hello then call", "{\"sequence\":1,\"type\":\"hello\",\"args\":{\"protocol\":2,\"features\":[\"cancel\",\"timeout\",\"codes\",\"blobs\"],\"maxFrame\":67108864}}\n{\"sequence\":2,\"type\":\"call\",\"namespace\":\"calc\",\"name\":\"add\",\"args\":[1,2],\"timeout\":1500000000}\n{\"sequence\":2,\"type\":\"cancel\"}\n",
		[]string{`{"sequence":1,"type":"hello","args":{"protocol":2,"features":["cancel","timeout","codes","blobs"],"maxFrame":67108864}}`, `{"sequence":2,"type":"call","namespace":"calc","name":"add","args":[1,2],"timeout":1500000000}`, `{"sequence":2,"type":"cancel"}`}},
	{"empty stream", "", nil},
	{"only whitespace", " \n\r\t ", nil},
}

func TestFramerStyles(t *testing.T) {
	for _, tt := range framerCases {
		for _, wrap := range wrappers {
			t.Run(tt.name+"/"+wrap.name, func(t *testing.T) {
				got, f, err := drain(t, wrap.fn(strings.NewReader(tt.input)), 1<<20)
				if err != io.EOF {
					t.Fatalf("end: %v, want io.EOF", err)
				}
				if diff := cmp.Diff(tt.want, frameStrings(got)); diff != "" {
					t.Fatalf("frames (-want +got):\n%s", diff)
				}
				if f.Skipped != 0 {
					t.Errorf("Skipped = %d, want 0", f.Skipped)
				}
			})
		}
	}
}

// TestFramerEverySplit delivers each stream in two reads, split at every
// offset, and in three reads, split at every pair of offsets: a read
// boundary inside a string, right after a backslash or between the two bytes
// of an escaped quote must not change the frames.
func TestFramerEverySplit(t *testing.T) {
	inputs := []string{
		`{"s":"{\"}\\"}{"t":"\\\\"}`,
		`{"s":"]]]}}}[[[{{{"}{"t":["]",{"u":"["}]}`,
		`{"s":"a\\"}{"t":"\\\""}x{"u":"\\\\\"\\"}`,
		`{"s":"\u007b\u0022\u005c"}{"t":1}`,
		`xx]}{"a":1} 42 garbage {"b":2}`,
		"{\"sequence\":1}\r\n{\"sequence\":2,\"args\":[{},[],\"\"]}\n",
		`{"a":"\"}`, // truncated: the quote is escaped
		`{"a":"\\"}`,
		`{"a":"b\`,
		`{"a":[1,{"b":"}"`,
	}
	for _, in := range inputs {
		data := []byte(in)
		for i := 0; i <= len(data); i++ {
			got, f, err := drain(t, splitReader(data, i), 1<<20)
			if d := checkAgainstRef(data, 1<<20, got, err, f.Skipped); d != "" {
				t.Fatalf("%q split at %d: %s", in, i, d)
			}
			for j := i; j <= len(data); j++ {
				got, f, err := drain(t, splitReader(data, i, j), 1<<20)
				if d := checkAgainstRef(data, 1<<20, got, err, f.Skipped); d != "" {
					t.Fatalf("%q split at %d and %d: %s", in, i, j, d)
				}
			}
		}
	}
}

func TestFramerGarbage(t *testing.T) {
	tests := []struct {
		input   string
		want    []string
		skipped int64
	}{
		{`xx]}{"a":1} 42 garbage {"b":2}`, []string{`{"a":1}`, `{"b":2}`}, 4 + 2 + 7},
		{"\x00\xff\n{\"a\":1}", []string{`{"a":1}`}, 2},
		{`]]]{"a":[]}]`, []string{`{"a":[]}`}, 4},
		{`garbage only`, nil, 11},
		{`{"a":1}trailing`, []string{`{"a":1}`}, 8},
	}
	for _, tt := range tests {
		for _, wrap := range wrappers {
			got, f, err := drain(t, wrap.fn(strings.NewReader(tt.input)), 1<<20)
			if err != io.EOF {
				t.Fatalf("%q/%s: end %v", tt.input, wrap.name, err)
			}
			if diff := cmp.Diff(tt.want, frameStrings(got)); diff != "" {
				t.Fatalf("%q/%s: (-want +got):\n%s", tt.input, wrap.name, diff)
			}
			if f.Skipped != tt.skipped {
				t.Errorf("%q/%s: Skipped = %d, want %d", tt.input, wrap.name, f.Skipped, tt.skipped)
			}
		}
	}
}

func TestFramerTruncated(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"open brace only", `{`, nil},
		{"after a frame", `{"a":1}{"sequence":2,"x":"ab`, []string{`{"a":1}`}},
		{"inside a string", `{"sequence":2,"x":"ab}}}`, nil},
		{"inside an escape", `{"sequence":2,"x":"ab\`, nil},
		{"after an escaped quote", `{"x":"\"}`, nil},
		{"inside a unicode escape", `{"x":"\u00`, nil},
		{"inside a nested array", `{"x":[[1,2],[3`, nil},
		{"inside a nested object", `{"x":{"y":{}`, nil},
		{"after garbage", `garbage {"a"`, nil},
		{"before the value", `{"sequence":`, nil},
		// A quote between frames is garbage, not the start of a string: the
		// '{' after it starts an object, which `"}` leaves open.
		{"quote in garbage", `"{"}`, nil},
	}
	for _, tt := range tests {
		for _, wrap := range wrappers {
			t.Run(tt.name+"/"+wrap.name, func(t *testing.T) {
				defer watchdog(t, 20*time.Second)()
				got, f, err := drain(t, wrap.fn(strings.NewReader(tt.input)), 1<<20)
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("err = %v, want ErrTruncated", err)
				}
				if diff := cmp.Diff(tt.want, frameStrings(got)); diff != "" {
					t.Fatal(diff)
				}
				// The error stays: the stream is over.
				if _, err := f.Next(); !errors.Is(err, ErrTruncated) {
					t.Fatalf("second Next: %v, want ErrTruncated again", err)
				}
			})
		}
	}
}

func TestFramerTruncatedTooLarge(t *testing.T) {
	defer watchdog(t, 20*time.Second)()
	in := `{"sequence":1,"x":"` + strings.Repeat("y", 5000)
	_, _, err := drain(t, strings.NewReader(in), 100)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("(%d bytes read)", len(in))) {
		t.Errorf("error %q does not count the %d bytes read", err, len(in))
	}
}

// TestFramerLimit checks the boundary: a frame of exactly the limit passes,
// one byte more is TooLarge, for limits below and above the initial buffer.
func TestFramerLimit(t *testing.T) {
	frame := func(size int) string {
		// {"sequence":5,"x":"yyy"} padded to size bytes.
		pre, post := `{"sequence":5,"x":"`, `"}`
		return pre + strings.Repeat("y", size-len(pre)-len(post)) + post
	}
	for _, max := range []int{30, 1000, 64<<10 - 1, 64 << 10, 64<<10 + 1, 300000} {
		for _, wrap := range []wrapper{wrappers[0], wrappers[2], {"chunks", func(r io.Reader) io.Reader { return &chunkReader{r: r, n: 777} }}} {
			at, over := frame(max), frame(max+1)
			in := `{"sequence":1}` + at + "\n" + over + `{"sequence":2}` + over
			got, f, err := drain(t, wrap.fn(strings.NewReader(in)), max)
			if err != io.EOF {
				t.Fatalf("max %d/%s: end %v", max, wrap.name, err)
			}
			want := []string{`{"sequence":1}`, at, fmt.Sprintf("<too large: %d>", max+1), `{"sequence":2}`, fmt.Sprintf("<too large: %d>", max+1)}
			if diff := cmp.Diff(want, frameStrings(got)); diff != "" {
				t.Fatalf("max %d/%s: (-want +got):\n%.2000s", max, wrap.name, diff)
			}
			for _, g := range got {
				if g.tooLarge {
					if rec := Recover(g.head); max >= 30 && (!rec.HasSequence || rec.Sequence != 5) {
						t.Errorf("max %d/%s: recovered %+v from head %.40q", max, wrap.name, rec, g.head)
					}
				}
			}
			if len(f.buf) > max+headSize+1 {
				t.Errorf("max %d/%s: buffer of %d bytes", max, wrap.name, len(f.buf))
			}
		}
	}
}

// chunkReader reads at most n bytes at a time.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// lazyObject produces `{"sequence":42,"args":["xxx...x"]}` of size bytes
// without holding it, and then tail. It checks at every read that the
// framer's buffer stays bounded.
type lazyObject struct {
	size, off int64
	tail      []byte
	fill      byte
	f         *Framer // the framer reading it, checked at each read
	bound     int
	maxBuf    int
}

func (l *lazyObject) Read(p []byte) (int, error) {
	if l.f != nil {
		l.maxBuf = max(l.maxBuf, len(l.f.buf))
	}
	head := []byte(`{"sequence":42,"args":["`)
	end := []byte(`"]}`)
	total := l.size + int64(len(l.tail))
	if l.off >= total {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && l.off < total {
		switch o := l.off; {
		case o < int64(len(head)):
			p[n] = head[o]
		case o < l.size-int64(len(end)):
			// Fill a run at once.
			k := min(int64(len(p)-n), l.size-int64(len(end))-o)
			for i := range p[n : n+int(k)] {
				p[n+i] = l.fill
			}
			n += int(k)
			l.off += k
			continue
		case o < l.size:
			p[n] = end[o-(l.size-int64(len(end)))]
		default:
			p[n] = l.tail[o-l.size]
		}
		n++
		l.off++
	}
	return n, nil
}

func TestFramerHugeObjectBoundedBuffer(t *testing.T) {
	const size = 100 << 20
	const limit = 1 << 20
	defer watchdog(t, 120*time.Second)()
	for _, fill := range []byte{'x', '}'} {
		l := &lazyObject{size: size, tail: []byte("\n{\"sequence\":43}\n"), fill: fill}
		f := NewFramer(l, limit)
		l.f = f
		fr, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !fr.TooLarge || fr.Size != size || fr.Data != nil {
			t.Fatalf("fill %q: frame TooLarge=%v Size=%d, want a discarded frame of %d bytes", fill, fr.TooLarge, fr.Size, size)
		}
		if rec := Recover(fr.Head); !rec.HasSequence || rec.Sequence != 42 {
			t.Errorf("fill %q: recovered %+v from the head", fill, rec)
		}
		if l.maxBuf > limit+headSize+1 || len(f.buf) > limit+headSize+1 {
			t.Errorf("fill %q: buffer grew to %d bytes, over %d", fill, max(l.maxBuf, len(f.buf)), limit+headSize+1)
		}
		fr, err = f.Next()
		if err != nil || string(fr.Data) != `{"sequence":43}` {
			t.Fatalf("fill %q: after the large frame: %q, %v", fill, fr.Data, err)
		}
		if _, err := f.Next(); err != io.EOF {
			t.Fatalf("fill %q: end %v", fill, err)
		}
	}
}

// TestFramerHugeNonString discards a large object made of nested arrays
// rather than one string, the framer's byte-by-byte path.
func TestFramerHugeNonString(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"sequence":3,"args":[`)
	for b.Len() < 4<<20 {
		b.WriteString(`[1,{"a":"]"},[]],`)
	}
	b.WriteString(`0]}{"sequence":4}`)
	got, f, err := drain(t, &chunkReader{r: &b, n: 100000}, 1<<16)
	if err != io.EOF || len(got) != 2 || !got[0].tooLarge || string(got[1].data) != `{"sequence":4}` {
		t.Fatalf("%v, %.200q", err, frameStrings(got))
	}
	if len(f.buf) > 1<<16+headSize+1 {
		t.Errorf("buffer of %d bytes", len(f.buf))
	}
}

func TestFramerDeepNesting(t *testing.T) {
	defer watchdog(t, 60*time.Second)()
	const depth = 1000000
	obj := `{"sequence":9,"args":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
	in := obj + `{"sequence":10}`
	got, _, err := drain(t, &chunkReader{r: strings.NewReader(in), n: 4096}, 4<<20)
	if err != io.EOF {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].data) != obj || string(got[1].data) != `{"sequence":10}` {
		t.Fatalf("frames: %d, first %d bytes", len(got), len(got[0].data))
	}
	// Neither the parser nor Recover recurse without bound on it.
	var req Request
	if err := ParseRequest(got[0].data, &req); err == nil {
		t.Errorf("ParseRequest accepted %d levels of nesting", depth)
	}
	if rec := Recover(got[0].data); !rec.HasSequence || rec.Sequence != 9 {
		t.Errorf("Recover: %+v", rec)
	}
	// Cut short, it is a truncated frame.
	_, _, err = drain(t, strings.NewReader(obj[:len(obj)-5]), 4<<20)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("cut: %v", err)
	}
}

func TestFramerInvalidUTF8(t *testing.T) {
	frames := []string{
		"{\"s\":\"\xff\xfe\xfd\"}",
		"{\"s\":\"\x80\x80\xc0\"}",
		"{\"s\":\"\xed\xa0\x80\"}", // an encoded surrogate
		"{\"\xf8\":\"a\\\"\xff\"}", // an escaped quote before an invalid byte (an escape of one is malformed)
	}
	in := strings.Join(frames, "\n")
	for _, wrap := range wrappers {
		got, _, err := drain(t, wrap.fn(strings.NewReader(in)), 1<<20)
		if err != io.EOF {
			t.Fatal(err)
		}
		if diff := cmp.Diff(frames, frameStrings(got)); diff != "" {
			t.Fatalf("%s: %s", wrap.name, diff)
		}
	}
}

// eofWithData returns all its data and io.EOF in one call.
type eofWithData struct{ data []byte }

func (e *eofWithData) Read(p []byte) (int, error) {
	n := copy(p, e.data)
	e.data = e.data[n:]
	if len(e.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

func TestFramerDataWithEOF(t *testing.T) {
	for _, in := range []string{`{"a":1}`, `{"a":1}{"b":2}`, "{\"a\":1}\n", `{"a":1}garbage`} {
		got, _, err := drain(t, &eofWithData{data: []byte(in)}, 1<<20)
		if err != io.EOF {
			t.Fatalf("%q: %v", in, err)
		}
		if len(got) == 0 || string(got[0].data) != `{"a":1}` {
			t.Fatalf("%q: %q", in, frameStrings(got))
		}
	}
	_, _, err := drain(t, &eofWithData{data: []byte(`{"a":1`)}, 1<<20)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated: %v", err)
	}
}

// errAfter returns data, then err forever; with together it returns the last
// bytes and err in the same call.
type errAfter struct {
	data     []byte
	err      error
	together bool
	calls    int
}

func (e *errAfter) Read(p []byte) (int, error) {
	e.calls++
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	if len(e.data) == 0 && e.together {
		return n, e.err
	}
	return n, nil
}

func TestFramerReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, together := range []bool{false, true} {
		for _, in := range []string{`{"a":1}`, `{"a":1}{"b":`, `{"a":1}garbage`} {
			r := &errAfter{data: []byte(in), err: boom, together: together}
			f := NewFramer(r, 1<<20)
			fr, err := f.Next()
			if err != nil || string(fr.Data) != `{"a":1}` {
				t.Fatalf("%q together=%v: %q, %v", in, together, fr.Data, err)
			}
			if in == `{"a":1}` {
				if _, err := f.ReadBlobs([]int64{1}, true); !errors.Is(err, boom) {
					t.Fatalf("%q together=%v: ReadBlobs: %v", in, together, err)
				}
			}
			if _, err := f.Next(); err != boom {
				t.Fatalf("%q together=%v: got %v, want the read error as it is", in, together, err)
			}
			calls := r.calls
			if _, err := f.Next(); err != boom {
				t.Fatalf("%q together=%v: second call: %v", in, together, err)
			}
			if _, err := f.ReadBlobs([]int64{1}, true); in != `{"a":1}{"b":` && !errors.Is(err, boom) {
				t.Fatalf("%q together=%v: ReadBlobs after the error: %v", in, together, err)
			}
			if r.calls != calls {
				t.Errorf("%q together=%v: the reader was read again after its error", in, together)
			}
		}
	}
}

func TestFramerNoProgress(t *testing.T) {
	defer watchdog(t, 20*time.Second)()
	for _, prefix := range []string{"", `{"a":1}`, `{"a":`, "garbage"} {
		r := io.MultiReader(strings.NewReader(prefix), zeroReader{})
		f := NewFramer(r, 1<<20)
		var err error
		for i := 0; i < 3 && err == nil; i++ {
			_, err = f.Next()
		}
		if !errors.Is(err, io.ErrNoProgress) {
			t.Fatalf("%q: %v, want io.ErrNoProgress", prefix, err)
		}
	}
}

func TestReadBlobsNoProgress(t *testing.T) {
	defer watchdog(t, 20*time.Second)()
	for _, n := range []int64{10, 200 << 10} { // through the buffer, and straight into the blob
		for _, keep := range []bool{false, true} {
			r := io.MultiReader(strings.NewReader("{\"blobs\":[1]}\nabc"), zeroReader{})
			f := NewFramer(r, 1<<20)
			if _, err := f.Next(); err != nil {
				t.Fatal(err)
			}
			if _, err := f.ReadBlobs([]int64{n}, keep); !errors.Is(err, io.ErrNoProgress) {
				t.Fatalf("blob of %d, keep %v: %v, want io.ErrNoProgress", n, keep, err)
			}
		}
	}
}

// TestFramerDoesNotWait checks that an object read whole is returned
// without waiting for anything after it (a newline, or the next object).
func TestFramerDoesNotWait(t *testing.T) {
	defer watchdog(t, 20*time.Second)()
	pr, pw := io.Pipe()
	f := NewFramer(pr, 1<<20)
	writeErr := make(chan error, 1)
	go func() {
		_, err := pw.Write([]byte(`garbage{"sequence":1,"s":"}"}`))
		writeErr <- err
	}()
	fr, err := f.Next()
	if err != nil || string(fr.Data) != `{"sequence":1,"s":"}"}` {
		t.Fatalf("%q, %v", fr.Data, err)
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	go func() {
		_, err := pw.Write([]byte("{}"))
		writeErr <- err
	}()
	if fr, err := f.Next(); err != nil || string(fr.Data) != "{}" {
		t.Fatalf("%q, %v", fr.Data, err)
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if _, err := f.Next(); err != io.EOF {
		t.Fatal(err)
	}
}

func TestNewFramerLimits(t *testing.T) {
	for _, max := range []int{-1, 0} {
		if f := NewFramer(strings.NewReader(""), max); f.Max() != DefaultMaxFrame {
			t.Errorf("NewFramer(%d).Max() = %d, want the default", max, f.Max())
		}
	}
	// A limit near the largest int must not overflow the buffer arithmetic.
	for _, max := range []int{math.MaxInt, math.MaxInt - headSize, math.MaxInt - headSize - 1} {
		in := `{"a":"` + strings.Repeat("x", 200<<10) + `"}{"b":1}`
		got, f, err := drain(t, &chunkReader{r: strings.NewReader(in), n: 50000}, max)
		if err != io.EOF || len(got) != 2 || string(got[0].data) != in[:len(in)-len(`{"b":1}`)] {
			t.Fatalf("max %d: %v, %d frames", max, err, len(got))
		}
		// The buffer grew by doubling from 64 KiB, not byte by byte.
		if len(f.buf) > 1<<20 || len(f.buf)%(64<<10) != 0 {
			t.Errorf("max %d: buffer of %d bytes for a frame of %d", max, len(f.buf), len(in))
		}
	}
}

func TestFramerBlobs(t *testing.T) {
	input := "{\"sequence\":1,\"blobs\":[3,0,4]}\nabc{}}x{\"sequence\":2}"
	for _, wrap := range wrappers {
		f := NewFramer(wrap.fn(strings.NewReader(input)), 1<<10)
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
			t.Fatalf("%s: after blobs: %q, %v", wrap.name, fr.Data, err)
		}
	}
}

// blobStream builds frames with blobs whose bytes look like frames, so that
// a framer out of step finds the wrong objects.
func blobStream(sizes []int64) (stream []byte, blobs [][]byte) {
	var b bytes.Buffer
	b.Write(AppendRequest(nil, &Request{Sequence: 1, Type: TypeCall, Blobs: sizes}))
	for i, n := range sizes {
		blob := bytes.Repeat([]byte(fmt.Sprintf("{\"sequence\":%d}\n", 100+i)), int(n)/15+1)[:n]
		blobs = append(blobs, blob)
		b.Write(blob)
	}
	b.WriteString(`{"sequence":2}`)
	return b.Bytes(), blobs
}

func TestReadBlobsExact(t *testing.T) {
	sizes := [][]int64{{1}, {0}, {0, 0}, {15, 1, 29}, {64 << 10}, {64<<10 + 1, 3, 200 << 10}, {1 << 20}}
	for _, s := range sizes {
		stream, want := blobStream(s)
		for _, wrap := range wrappers[:4] {
			for _, keep := range []bool{false, true} {
				f := NewFramer(wrap.fn(bytes.NewReader(stream)), 2<<20)
				fr, err := f.Next()
				if err != nil {
					t.Fatal(err)
				}
				var req Request
				if err := ParseRequest(fr.Data, &req); err != nil {
					t.Fatal(err)
				}
				got, err := f.ReadBlobs(req.Blobs, keep)
				if err != nil {
					t.Fatalf("%v/%s/keep=%v: %v", s, wrap.name, keep, err)
				}
				if keep {
					if len(got) != len(want) {
						t.Fatalf("%v/%s: %d blobs", s, wrap.name, len(got))
					}
					for i := range want {
						if !bytes.Equal(got[i], want[i]) {
							t.Fatalf("%v/%s: blob %d differs", s, wrap.name, i)
						}
					}
				} else if got != nil {
					t.Fatalf("%v/%s: blobs returned without keep", s, wrap.name)
				}
				fr, err = f.Next()
				if err != nil || string(fr.Data) != `{"sequence":2}` {
					t.Fatalf("%v/%s/keep=%v: after the blobs: %.40q, %v", s, wrap.name, keep, fr.Data, err)
				}
				if _, err := f.Next(); err != io.EOF {
					t.Fatalf("%v/%s/keep=%v: end %v", s, wrap.name, keep, err)
				}
				if f.Skipped != 0 {
					t.Fatalf("%v/%s/keep=%v: skipped %d", s, wrap.name, keep, f.Skipped)
				}
			}
		}
	}
}

func TestReadBlobsEverySplit(t *testing.T) {
	stream, want := blobStream([]int64{5, 0, 7})
	for i := 0; i <= len(stream); i++ {
		for _, keep := range []bool{false, true} {
			f := NewFramer(splitReader(stream, i), 1<<10)
			fr, err := f.Next()
			if err != nil {
				t.Fatal(err)
			}
			rec := Recover(fr.Data)
			got, err := f.ReadBlobs(rec.Blobs, keep)
			if err != nil {
				t.Fatalf("split %d: %v", i, err)
			}
			if keep && !cmp.Equal(want, got) {
				t.Fatalf("split %d: %q, want %q", i, got, want)
			}
			if fr, err := f.Next(); err != nil || string(fr.Data) != `{"sequence":2}` {
				t.Fatalf("split %d, keep %v: %q %v", i, keep, fr.Data, err)
			}
		}
	}
}

func TestReadBlobsTruncated(t *testing.T) {
	defer watchdog(t, 20*time.Second)()
	for _, tt := range []struct {
		stream string
		sizes  []int64
	}{
		{`{"blobs":[3]}`, []int64{3}},       // no newline, no blob
		{"{\"blobs\":[0]}", []int64{0}},     // the newline that must precede even empty blobs is missing
		{"{\"blobs\":[3]}\nab", []int64{3}}, // one byte short
		{"{\"blobs\":[1,2]}\na", []int64{1, 2}},
		{"{\"blobs\":[200000]}\n" + strings.Repeat("z", 150000), []int64{200000}}, // large, straight into the blob
	} {
		for _, wrap := range wrappers {
			for _, keep := range []bool{false, true} {
				f := NewFramer(wrap.fn(strings.NewReader(tt.stream)), 1<<20)
				if _, err := f.Next(); err != nil {
					t.Fatal(err)
				}
				if _, err := f.ReadBlobs(tt.sizes, keep); !errors.Is(err, ErrTruncated) {
					t.Fatalf("%.30q/%s/keep=%v: %v, want ErrTruncated", tt.stream, wrap.name, keep, err)
				}
			}
		}
	}
}

func TestReadBlobsLimits(t *testing.T) {
	// Lengths no allocation could hold: refused, not a crash.
	f := NewFramer(strings.NewReader("{\"blobs\":[4611686018427387904]}\nabc"), 1<<20)
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadBlobs([]int64{1 << 62}, true); !errors.Is(err, ErrTruncated) {
		t.Fatalf("huge blob: %v, want ErrTruncated after consuming what there is", err)
	}
	f = NewFramer(strings.NewReader("{}\nabc"), 1<<20)
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadBlobs([]int64{1 << 62, 1 << 62, 1 << 62, 1 << 62}, true); !errors.Is(err, ErrTruncated) {
		t.Fatalf("lengths summing past int64: %v", err)
	}

	// Over the limit by one byte with the frame: consumed and dropped, the
	// stream stays in step.
	frame := "{\"sequence\":1,\"blobs\":[10,5]}"
	limit := len(frame) + 15
	for _, extra := range []int64{0, 1} {
		stream := frame + "\n" + strings.Repeat("{", 15+int(extra)) + `{"sequence":2}`
		f = NewFramer(strings.NewReader(stream), limit)
		if _, err := f.Next(); err != nil {
			t.Fatal(err)
		}
		blobs, err := f.ReadBlobs([]int64{10, 5 + extra}, true)
		if extra == 0 && (err != nil || len(blobs) != 2) {
			t.Fatalf("at the limit: %v", err)
		}
		if extra == 1 && (!errors.Is(err, ErrBlobsTooLarge) || blobs != nil) {
			t.Fatalf("over the limit: %v, %d blobs", err, len(blobs))
		}
		if fr, err := f.Next(); err != nil || string(fr.Data) != `{"sequence":2}` {
			t.Fatalf("extra %d: after the blobs: %q %v", extra, fr.Data, err)
		}
	}

	// Negative: refused before consuming anything.
	f = NewFramer(strings.NewReader("{}\n{\"sequence\":3}"), 1<<20)
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		if _, err := f.ReadBlobs([]int64{1, -1}, keep); !errors.Is(err, ErrBadBlobLength) {
			t.Fatalf("negative length, keep %v: %v", keep, err)
		}
	}
	if fr, err := f.Next(); err != nil || string(fr.Data) != `{"sequence":3}` {
		t.Fatalf("after a refused length: %q %v", fr.Data, err)
	}
	// No lengths: nothing is read, not even the newline.
	if b, err := f.ReadBlobs(nil, true); b != nil || err != nil {
		t.Fatalf("no blobs: %v %v", b, err)
	}
}

// TestReadBlobsAfterTooLarge consumes the blobs of a frame discarded for its
// size, with their lengths recovered from its head.
func TestReadBlobsAfterTooLarge(t *testing.T) {
	big := `{"sequence":9,"blobs":[4,6],"args":["` + strings.Repeat("x", 5000) + `"]}`
	stream := big + "\n{}}}\n{{{{{" + `{"sequence":10}`
	for _, wrap := range wrappers {
		f := NewFramer(wrap.fn(strings.NewReader(stream)), 1000)
		fr, err := f.Next()
		if err != nil || !fr.TooLarge {
			t.Fatalf("%s: %v %v", wrap.name, fr.TooLarge, err)
		}
		rec := Recover(fr.Head)
		if !rec.HasBlobs || !cmp.Equal(rec.Blobs, []int64{4, 6}) {
			t.Fatalf("%s: recovered %+v", wrap.name, rec)
		}
		if _, err := f.ReadBlobs(rec.Blobs, false); err != nil {
			t.Fatal(err)
		}
		if fr, err := f.Next(); err != nil || string(fr.Data) != `{"sequence":10}` {
			t.Fatalf("%s: %q %v", wrap.name, fr.Data, err)
		}
	}
}

func TestFramerBuffered(t *testing.T) {
	f := NewFramer(strings.NewReader(`{"a":1} {"b":2}`), 1<<10)
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if got := f.Buffered(); got != len(` {"b":2}`) {
		t.Fatalf("Buffered = %d", got)
	}
}
