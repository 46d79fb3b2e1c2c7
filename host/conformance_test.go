package host_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/hostcall/hostcall/internal/hosttest"
)

// The conformance transcripts replay, byte for byte, what real peers write
// (as observed of protocol 1 peers, docs/PROTOCOL.md section 2), and
// TestGoldenTranscripts checks what the host writes back. This test keeps
// them honest: each > line is in the reference Go client's style, each >|
// line in the reference Python client's, and each file has every request
// type.

// requestTypes are the types every conformance transcript sends: those of
// PROTOCOL.md section 3, and one the host does not know.
var requestTypes = []string{"call", "hasNamespace", "getManifest", "listServices", "hello", "launch"}

func TestConformanceTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/host/conformance-*.txt")
	if err != nil || len(files) < 3 {
		t.Fatalf("want the three conformance transcripts, found %v (%v)", files, err)
	}
	for _, file := range append(files, "../testdata/golden/host/manifest-null.txt") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			steps, err := hosttest.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			types := map[string]bool{}
			for _, st := range steps {
				var objs []frame
				switch st.Kind {
				case ">":
					objs = checkGoStyle(t, st)
				case ">|":
					objs = checkPythonStyle(t, st)
				}
				for _, o := range objs {
					types[o.Type] = true
					if strings.Contains(file, "-go-p1") && o.Type == "call" && o.Name == "concat" {
						checkSliceAsOne(t, st, o)
					}
				}
			}
			if strings.HasPrefix(filepath.Base(file), "conformance-") {
				for _, typ := range requestTypes {
					if !types[typ] {
						t.Errorf("no request of type %q", typ)
					}
				}
			}
		})
	}
}

// frame is what the checks need of a request.
type frame struct {
	Type, Name string
	Args       json.RawMessage
	keys       []string // top-level members, in order
}

// checkGoStyle checks that a > line is what encoding/json writes: compact,
// sequence first, strings escaped as json.Marshal escapes them.
func checkGoStyle(t *testing.T, st hosttest.Step) []frame {
	t.Helper()
	got, objs, err := restyle([]byte(st.Text), ",", ":", goQuote)
	switch {
	case err != nil:
		t.Errorf("line %d: %v", st.Line, err)
	case got != st.Text:
		t.Errorf("line %d is not in the Go client's style:\n got %s\nwant %s", st.Line, st.Text, got)
	case len(objs) != 1 || objs[0].keys[0] != "sequence":
		t.Errorf("line %d: want one object, sequence first", st.Line)
	}
	return objs
}

// checkPythonStyle checks that a >| line is objects back to back as
// Python's json.dumps writes them: ", " and ": " separators, \uXXXX for
// every character outside printable ASCII, sequence last.
func checkPythonStyle(t *testing.T, st hosttest.Step) []frame {
	t.Helper()
	got, objs, err := restyle([]byte(st.Text), ", ", ": ", pythonQuote)
	switch {
	case err != nil:
		t.Errorf("line %d: %v", st.Line, err)
	case got != st.Text:
		t.Errorf("line %d is not in the Python client's style:\n got %s\nwant %s", st.Line, st.Text, got)
	}
	for _, o := range objs {
		if o.keys[len(o.keys)-1] != "sequence" {
			t.Errorf("line %d: sequence is not the last member of %v", st.Line, o.keys)
		}
	}
	return objs
}

// checkSliceAsOne checks that a call of calc.concat(sep, parts ...string)
// sends the variadic slice as one element, as the reference Go client does.
func checkSliceAsOne(t *testing.T, st hosttest.Step, o frame) {
	t.Helper()
	var args []json.RawMessage
	if json.Unmarshal(o.Args, &args) != nil || len(args) != 2 || args[1][0] != '[' && string(args[1]) != "null" {
		t.Errorf("line %d: concat's args %s: want the variadic slice as one element", st.Line, o.Args)
	}
}

// restyle writes the JSON objects of data again, back to back, with the
// given separators and string quoting, keeping member order and the text
// of numbers, and returns them decoded.
func restyle(data []byte, comma, colon string, quote func(string) string) (string, []frame, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b strings.Builder
	var objs []frame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return b.String(), objs, nil
		}
		if err != nil {
			return "", nil, err
		}
		if tok != json.Delim('{') {
			return "", nil, fmt.Errorf("want an object, got %v", tok)
		}
		var o frame
		if err := restyleValue(dec, tok, &b, comma, colon, quote, &o.keys); err != nil {
			return "", nil, err
		}
		if err := json.Unmarshal(data[start:dec.InputOffset()], &o); err != nil {
			return "", nil, err
		}
		objs = append(objs, o)
	}
}

// restyleValue writes the value that starts with tok; keys, if not nil,
// collects the members of an object.
func restyleValue(dec *json.Decoder, tok json.Token, b *strings.Builder, comma, colon string, quote func(string) string, keys *[]string) error {
	switch v := tok.(type) {
	case json.Delim:
		b.WriteString(v.String())
		for n := 0; dec.More(); n++ {
			if n > 0 {
				b.WriteString(comma)
			}
			if v == '{' {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				b.WriteString(quote(k.(string)))
				b.WriteString(colon)
				if keys != nil {
					*keys = append(*keys, k.(string))
				}
			}
			next, err := dec.Token()
			if err != nil {
				return err
			}
			if err := restyleValue(dec, next, b, comma, colon, quote, nil); err != nil {
				return err
			}
		}
		end, err := dec.Token()
		if err != nil {
			return err
		}
		b.WriteString(end.(json.Delim).String())
	case string:
		b.WriteString(quote(v))
	case json.Number:
		b.WriteString(v.String())
	case bool:
		fmt.Fprint(b, v)
	case nil:
		b.WriteString("null")
	}
	return nil
}

// goQuote quotes s as encoding/json does.
func goQuote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// pythonQuote quotes s as Python's json.dumps does with ensure_ascii.
func pythonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
