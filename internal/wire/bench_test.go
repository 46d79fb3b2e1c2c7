package wire

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

func benchFramer(b *testing.B, stream []byte, frames int, max int) {
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	r := bytes.NewReader(stream)
	for b.Loop() {
		r.Reset(stream)
		f := NewFramer(r, max)
		n := 0
		for {
			_, err := f.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != frames {
			b.Fatalf("%d frames, want %d", n, frames)
		}
	}
}

func BenchmarkFramerSmallFrames(b *testing.B) {
	var stream []byte
	const n = 10000
	for i := range n {
		stream = AppendRequest(stream, &Request{Sequence: uint64(i + 1), Type: TypeCall, Namespace: "calc", Name: "add", Args: []byte(`[1,2,"three"]`)})
	}
	benchFramer(b, stream, n, DefaultMaxFrame)
}

func BenchmarkFramerString1MiB(b *testing.B) {
	stream := AppendRequest(nil, &Request{Sequence: 1, Type: TypeCall, Namespace: "blob", Name: "put",
		Args: []byte(`["` + strings.Repeat("aGVsbG8gd29ybGQh", 1<<16) + `"]`)})
	benchFramer(b, stream, 1, DefaultMaxFrame)
}

// recordArgs returns about 3.4 KiB of args: a record of 40 items with
// strings (some with escapes), integers and floats of 17 digits.
func recordArgs() string {
	var args strings.Builder
	args.WriteString(`[{"id":1,"items":[`)
	for i := range 40 {
		fmt.Fprintf(&args, `{"sku":"SKU-%06d","qty":%d,"price":%g,"note":"item %d, shelf \"%c\""},`, i, i, float64(i)/7, i, 'A'+i%26)
	}
	args.WriteString(`{}]}]`)
	return args.String()
}

func BenchmarkParseRequest(b *testing.B) {
	small := []byte(`{"sequence":12345,"type":"call","namespace":"calc","name":"add","args":[1,2,{"x":"three"}],"timeout":1500000000}`)
	large := []byte(`{"sequence":12345,"type":"call","namespace":"calc","name":"add","args":` + recordArgs() + `}`)
	for _, c := range []struct {
		name  string
		frame []byte
	}{{"small", small}, {"4k", large}} {
		fr, err := NewFramer(bytes.NewReader(c.frame), DefaultMaxFrame).Next()
		if err != nil || fr.Err != nil {
			b.Fatal(err, fr.Err)
		}
		for _, p := range []struct {
			name  string
			parse func(*Request) error
		}{
			{"checked", func(req *Request) error { return ParseRequest(c.frame, req) }},
			{"frame", func(req *Request) error { return ParseFrameRequest(fr, req) }},
			{"frame-no-spans", func(req *Request) error { return ParseFrameRequest(Frame{Data: c.frame}, req) }},
		} {
			b.Run(c.name+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.frame)))
				var req Request
				for b.Loop() {
					if err := p.parse(&req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkAppendResponse(b *testing.B) {
	resp := &Response{Sequence: 12345, Reply: []byte(`[3,{"name":"x","tags":["a","b"]}]`), Error: "service \"calc.add\" failed: a\tb\n", Code: CodeServiceError}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendResponse(buf[:0], resp)
	}
	b.SetBytes(int64(len(buf)))
}

func benchParseRequest(b *testing.B, frame []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	var req Request
	for b.Loop() {
		if err := ParseRequest(frame, &req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRequestString1MiB(b *testing.B) {
	benchParseRequest(b, []byte(`{"sequence":1,"type":"call","namespace":"blob","name":"put","args":["`+
		strings.Repeat("aGVsbG8gd29ybGQh", 1<<16)+`"]}`))
}

func BenchmarkParseRequestNumbers(b *testing.B) {
	var args strings.Builder
	args.WriteString("[")
	for i := range 10000 {
		if i > 0 {
			args.WriteString(",")
		}
		fmt.Fprintf(&args, "%d.%de-%d", i, i*7, i%30)
	}
	args.WriteString("]")
	benchParseRequest(b, []byte(`{"sequence":1,"type":"call","namespace":"calc","name":"sum","args":`+args.String()+`,"x":{"y":[true,null,"z"]}}`))
}

func BenchmarkParseResponse(b *testing.B) {
	frame := []byte(`{"sequence":12345,"reply":[3,{"name":"x","tags":["a","b"]}],"error":"service \"calc.add\" failed: a\tb\n","code":"service_error"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	var resp Response
	for b.Loop() {
		if err := ParseResponse(frame, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStringScan compares the framer's search for the end of a run of
// string bytes (stringStop: quote, backslash or control character) with the
// search it replaced (indexQuoteOrBackslash: quote or backslash), on string
// bodies of several sizes ending with a quote.
func BenchmarkStringScan(b *testing.B) {
	for _, n := range []int{5, 16, 64, 1 << 10, 1 << 20} {
		body := []byte(strings.Repeat("aGVsbG8gd29ybGQh", n/16+1)[:n] + `"`)
		for _, fn := range []struct {
			name string
			f    func([]byte) int
		}{{"stringStop", stringStop}, {"indexQuoteOrBackslash", indexQuoteOrBackslash}} {
			b.Run(fmt.Sprintf("%s/%d", fn.name, n), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					if fn.f(body) != n {
						b.Fatal("wrong index")
					}
				}
			})
		}
	}
}

// BenchmarkFramerRecords frames requests whose args are recordArgs.
func BenchmarkFramerRecords(b *testing.B) {
	var stream []byte
	const n = 100
	for i := range n {
		stream = AppendRequest(stream, &Request{Sequence: uint64(i + 1), Type: TypeCall, Namespace: "db", Name: "put", Args: []byte(recordArgs())})
	}
	benchFramer(b, stream, n, DefaultMaxFrame)
}
