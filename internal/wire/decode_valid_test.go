package wire

import (
	"strings"
	"testing"
)

// TestParseFrameAgrees checks the parsers that trust the framer against
// the ones that check the grammar, on frames (several to a stream, so that
// a frame's spans start past the stream's first byte) whose args and unknown
// members hold what a skip by brackets and strings can stumble on: quotes,
// backslashes and brackets inside strings, scalars before a closer or
// whitespace, empty containers, and nesting at and past the limit.
func TestParseFrameAgrees(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	values := []string{
		`1`, `-0.5e+10`, `true`, `false`, `null`, `""`, `"a"`,
		`"\""`, `"\\"`, `"\\\""`, `"a\\"`, `"}]"`, `"{["`, `"\u005c"`, `"\u0022]"`,
		`[]`, `{}`, `[ ]`, `{ }`, `[1,2 , 3 ]`, `{"a":1,"b":[true,null]}`,
		`[{"x":"}"},{"y":"]\\"}]`, `{"k\"}":"v"}`, "[1\n,\t2\r]",
		`["` + strings.Repeat(`\\`, 7) + `\"", 0]`,
		deep(maxDepth - 2), deep(maxDepth - 1), deep(maxDepth),
	}
	// Escapes on either side of where stringEnd stops stepping byte by
	// byte and starts searching.
	for k := 25; k < 40; k++ {
		a := strings.Repeat("a", k)
		values = append(values, `"`+a+`\"b"`, `"`+a+`\\"`, `"`+a+`\\\"\\"`, `["`+a+`\"", "\"]"]`)
	}
	for _, v := range values {
		frames := []string{
			`{"sequence":7,"args":` + v + `,"type":"call","namespace":"n","name":"f"}`,
			`{"sequence":7, "extra" : ` + v + ` , "reply":` + v + `}`,
			`{"args":` + v + `}`,
			`{"sequence":7,"detail":` + v + `,"code":"x","error":"e"}`,
			`{"a":[],"b":{},"c":[` + v + `],"d":[1],"reply":` + v + `,"sequence":1}`,
		}
		for _, frame := range frames {
			checkValidParse(t, []byte(frame))
		}
		checkValidParse(t, []byte(" x\n"+strings.Join(frames, "\n")))
	}
}

// TestParseFrameOnBadBytes gives the trusting parsers a Frame made by hand
// whose bytes are not JSON, which the framer would have refused: they must
// return, not panic or read past the end.
func TestParseFrameOnBadBytes(t *testing.T) {
	for _, frame := range []string{
		`{"sequence":1,"args":"abc`, `{"sequence":1,"args":"ab\`, `{"sequence":1,"args":[[[`,
		`{"sequence":1,"args":]`, `{"sequence":1,"args":,`, `{"sequence":1,"args":1`,
		`{"sequence":1,"args":"\`, `{"sequence":1,"args":` + strings.Repeat("[", maxDepth+5),
		`{"sequence":1,"args":}}}}`, `{"sequence":1,"args"`,
	} {
		var req Request
		if err := ParseFrameRequest(Frame{Data: []byte(frame)}, &req); err == nil {
			t.Errorf("ParseFrameRequest(%q) = %+v, nil error", frame, req)
		}
		var resp Response
		if err := ParseFrameResponse(Frame{Data: []byte(frame)}, &resp); err == nil {
			t.Errorf("ParseFrameResponse(%q) = %+v, nil error", frame, resp)
		}
	}
}

// TestStringStop checks stringStop, which looks at words of 8 bytes, against
// a byte-by-byte search, on every length up to 80 with the stop byte (or
// none) at every place and bytes that borrow or carry in the word tricks
// (0x00, 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff)
// around it.
func TestStringStop(t *testing.T) {
	naive := func(b []byte) int {
		for i, c := range b {
			if c < 0x20 || c == '"' || c == '\\' {
				return i
			}
		}
		return -1
	}
	fill := []byte{0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 'a'}
	stops := []byte{0x00, 0x1f, '"', '\\', 0x01}
	for n := 0; n <= 80; n++ {
		for f := range fill {
			b := make([]byte, n)
			for i := range b {
				b[i] = fill[(f+i)%len(fill)]
			}
			if got, want := stringStop(b), naive(b); got != want {
				t.Fatalf("stringStop(%q) = %d, want %d", b, got, want)
			}
			for at := 0; at < n; at++ {
				for _, s := range stops {
					c := append([]byte(nil), b...)
					c[at] = s
					if at+1 < n {
						c[at+1] = stops[(at+int(s))%len(stops)] // a second stop after the first
					}
					if got, want := stringStop(c), naive(c); got != want {
						t.Fatalf("stringStop(%q) = %d, want %d", c, got, want)
					}
				}
			}
		}
	}
}
