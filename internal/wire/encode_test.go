package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// stdString is encoding/json's encoding of s with HTML escaping off.
func stdString(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sanitize is what a string becomes through JSON: each byte of invalid
// UTF-8 replaced by U+FFFD.
func sanitize(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// randString returns a string that likes the characters JSON escapes.
func randString(r *rand.Rand) string {
	pieces := []string{
		"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"<", ">", "&", "é", "€", "\U0001F600", "\u2028", "\u2029", "\ufeff", "\ufffd",
		"\xff", "\xc3", "\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "{", "}", "[", "]", "\\u0000",
	}
	n := r.IntN(12)
	var b strings.Builder
	for range n {
		if r.IntN(4) == 0 {
			b.WriteByte(byte(r.IntN(256)))
		} else {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
	}
	return b.String()
}

// randJSON returns a compact JSON value, up to depth levels deep.
func randJSON(r *rand.Rand, depth int) any {
	k := r.IntN(8)
	if depth <= 0 && k >= 6 {
		k = r.IntN(6)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return r.Int64() - r.Int64()
	case 3:
		return r.NormFloat64() * 1e6
	case 4, 5:
		return randString(r)
	case 6:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randJSON(r, depth-1)
		}
		return a
	default:
		m := map[string]any{}
		for range r.IntN(4) {
			m[randString(r)] = randJSON(r, depth-1)
		}
		return m
	}
}

func randRaw(r *rand.Rand) json.RawMessage {
	if r.IntN(4) == 0 {
		return nil
	}
	b, err := json.Marshal(randJSON(r, 3))
	if err != nil {
		panic(err)
	}
	return b
}

func randUint64(r *rand.Rand) uint64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		return uint64(r.IntN(1000))
	}
	return r.Uint64()
}

func randInt64(r *rand.Rand) int64 {
	switch r.IntN(5) {
	case 0:
		return 0
	case 1:
		return math.MaxInt64
	case 2:
		return math.MinInt64
	case 3:
		return int64(r.IntN(2000)) - 1000
	}
	return int64(r.Uint64())
}

func randBlobs(r *rand.Rand) []int64 {
	if r.IntN(2) == 0 {
		return nil
	}
	b := make([]int64, r.IntN(4))
	for i := range b {
		if r.IntN(4) == 0 {
			b[i] = r.Int64()
		} else {
			b[i] = int64(r.IntN(100))
		}
	}
	return b
}

// checkFrame checks that an appended frame is compact JSON on one line,
// terminated by a newline, with sequence first and blobs second.
func checkFrame(t *testing.T, frame []byte, seq uint64, blobs []int64) {
	t.Helper()
	if !bytes.HasSuffix(frame, []byte("}\n")) || bytes.Count(frame, []byte("\n")) != 1 {
		t.Fatalf("not one line ending with a newline: %q", frame)
	}
	obj := frame[:len(frame)-1]
	if !json.Valid(obj) {
		t.Fatalf("invalid JSON: %q", obj)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, obj); err != nil || !bytes.Equal(compact.Bytes(), obj) {
		t.Fatalf("not compact: %q", obj)
	}
	prefix := `{"sequence":` + strconv.FormatUint(seq, 10)
	if len(blobs) > 0 {
		prefix += `,"blobs":[`
	} else {
		prefix += `,`
	}
	if !bytes.HasPrefix(frame, []byte(prefix)) && !bytes.Equal(obj, []byte(prefix[:len(prefix)-1]+"}")) {
		t.Fatalf("frame %q does not start with %q", frame, prefix)
	}
	rec := Recover(frame)
	recoverable := len(blobs) > 0 // Recover refuses lengths over 1<<62
	for _, n := range blobs {
		recoverable = recoverable && n <= 1<<62
	}
	if !rec.HasSequence || rec.Sequence != seq || (recoverable && !cmp.Equal(rec.Blobs, blobs)) {
		t.Fatalf("Recover(%q) = %+v", frame, rec)
	}
}

func TestAppendRequestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	types := []string{TypeCall, TypeHello, TypeCancel, TypeGetManifest, TypeHasNamespace, TypeListServices, ""}
	for i := 0; i < 5000; i++ {
		req := Request{
			Sequence:  randUint64(r),
			Type:      types[r.IntN(len(types))],
			Namespace: randString(r),
			Name:      randString(r),
			Args:      randRaw(r),
			Timeout:   randInt64(r),
			Blobs:     randBlobs(r),
		}
		if r.IntN(3) == 0 {
			req.Type = randString(r)
		}
		for i, n := range req.Blobs {
			if n < 0 {
				req.Blobs[i] = -n - 1
			}
		}
		frame := AppendRequest([]byte("prefix"), &req)
		if !bytes.HasPrefix(frame, []byte("prefix")) {
			t.Fatal("AppendRequest dropped dst")
		}
		frame = frame[len("prefix"):]
		checkFrame(t, frame, req.Sequence, req.Blobs)
		var got Request
		if err := ParseRequest(frame, &got); err != nil {
			t.Fatalf("ParseRequest(%q): %v", frame, err)
		}
		want := req
		want.Type, want.Namespace, want.Name = sanitize(req.Type), sanitize(req.Namespace), sanitize(req.Name)
		if string(want.Args) == "null" {
			want.Args = nil
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %q (-want +got):\n%s", frame, diff)
		}
	}
}

func TestAppendResponseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		resp := Response{
			Sequence: randUint64(r),
			Reply:    randRaw(r),
			OK:       r.IntN(2) == 0,
			Blobs:    randBlobs(r),
		}
		for range r.IntN(3) {
			resp.Services = append(resp.Services, randString(r))
		}
		if r.IntN(2) == 0 {
			resp.Error = randString(r)
			resp.Code = []string{CodeServiceError, CodeBadRequest, CodeTooLarge, randString(r)}[r.IntN(4)]
		}
		for i, n := range resp.Blobs {
			if n < 0 {
				resp.Blobs[i] = -n - 1
			}
		}
		frame := AppendResponse(nil, &resp)
		checkFrame(t, frame, resp.Sequence, resp.Blobs)
		var got Response
		if err := ParseResponse(frame, &got); err != nil {
			t.Fatalf("ParseResponse(%q): %v", frame, err)
		}
		want := resp
		want.Error, want.Code = sanitize(resp.Error), sanitize(resp.Code)
		want.Services = nil
		for _, s := range resp.Services {
			want.Services = append(want.Services, sanitize(s))
		}
		if string(want.Reply) == "null" {
			want.Reply = nil
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %q (-want +got):\n%s", frame, diff)
		}
	}
}

func TestAppendExact(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{string(AppendRequest(nil, &Request{Sequence: 7, Type: TypeCall, Namespace: "calc", Name: "add", Args: []byte(`[1,2]`)})),
			`{"sequence":7,"type":"call","namespace":"calc","name":"add","args":[1,2]}` + "\n"},
		{string(AppendRequest(nil, &Request{Sequence: 7, Type: TypeCancel})), `{"sequence":7,"type":"cancel"}` + "\n"},
		{string(AppendRequest(nil, &Request{Sequence: 2, Type: TypeCall, Timeout: -1, Blobs: []int64{3, 0}})),
			`{"sequence":2,"blobs":[3,0],"type":"call","timeout":-1}` + "\n"},
		// Empty, non-nil raw members are absent rather than invalid JSON.
		{string(AppendRequest(nil, &Request{Sequence: 1, Args: []byte{}})), `{"sequence":1,"type":""}` + "\n"},
		{string(AppendResponse(nil, &Response{Sequence: 1, Reply: []byte{}})), `{"sequence":1}` + "\n"},
		{string(AppendResponse(nil, &Response{Sequence: 7, Reply: []byte(`[3]`)})), `{"sequence":7,"reply":[3]}` + "\n"},
		{string(AppendResponse(nil, &Response{Sequence: 8, Error: `undefined service "mul"`, Code: CodeUnknownService})),
			`{"sequence":8,"error":"undefined service \"mul\"","code":"unknown_service"}` + "\n"},
		{string(AppendResponse(nil, &Response{Sequence: 3, Services: []string{"a", "b"}, OK: true, Blobs: []int64{1}})),
			`{"sequence":3,"blobs":[1],"services":["a","b"],"ok":true}` + "\n"},
		{string(AppendResponse(nil, &Response{Sequence: 3, Services: []string{}})), `{"sequence":3}` + "\n"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	check := func(s string) {
		t.Helper()
		got := string(AppendString(nil, s))
		if want := stdString(t, s); got != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json: %s", s, got, want)
		}
	}
	// Every rune of the first planes alone, and inside text.
	for c := rune(0); c < 0x3000; c++ {
		check(string(c))
		check("ab" + string(c) + "cd")
	}
	for _, s := range []string{"", "\U0001F600", "\U0010FFFF", "\ufffd", "\u2028\u2029", "<a href=\"x\">&amp;</a>", strings.Repeat("x", 10000)} {
		check(s)
	}
	// Random text, valid UTF-8 or not: encoding/json replaces each invalid
	// byte with U+FFFD too.
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100000; i++ {
		check(randString(r))
	}
}

func TestAppendStringAlwaysValid(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	buf := make([]byte, 64)
	for i := 0; i < 50000; i++ {
		b := buf[:r.IntN(len(buf))]
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		s := string(b)
		enc := AppendString(nil, s)
		if !json.Valid(enc) || bytes.ContainsAny(enc, "\n\r") {
			t.Fatalf("AppendString(%q) = %q: not valid JSON on one line", s, enc)
		}
		var back string
		if err := json.Unmarshal(enc, &back); err != nil || back != sanitize(s) {
			t.Fatalf("AppendString(%q) = %q decodes to %q, %v", s, enc, back, err)
		}
		if strings.Contains(string(enc), "\u2028") || strings.Contains(string(enc), "\u2029") {
			t.Fatalf("AppendString(%q) = %q: raw line separator", s, enc)
		}
	}
	// Every single byte and every pair of bytes.
	for a := 0; a < 256; a++ {
		for b := -1; b < 256; b++ {
			s := string([]byte{byte(a)})
			if b >= 0 {
				s += string([]byte{byte(b)})
			}
			if enc := AppendString(nil, s); !json.Valid(enc) {
				t.Fatalf("AppendString(%q) = %q", s, enc)
			}
		}
	}
}

func ExampleAppendRequest() {
	frame := AppendRequest(nil, &Request{Sequence: 7, Type: TypeCall, Namespace: "calc", Name: "add", Args: []byte(`[1,2]`)})
	fmt.Print(string(frame))
	// Output: {"sequence":7,"type":"call","namespace":"calc","name":"add","args":[1,2]}
}
