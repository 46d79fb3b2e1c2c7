package wire

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// bigFrame returns an object of exactly size bytes.
func bigFrame(size int) []byte {
	const head, tail = `{"a":"`, `"}`
	return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
}

// A frame of about the limit makes the Framer allocate about the limit,
// not twice or three times it through a chain of doublings, and never a
// buffer larger than the limit and a head.
func TestFramerGrowsToAboutTheLimit(t *testing.T) {
	const max = 8 << 20
	for _, size := range []int{max - 100, max / 3, 200 << 10} {
		in := append(bigFrame(size), '\n')
		f := NewFramer(&chunkReader{bytes.NewReader(in), 64 << 10}, max)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fr, err := f.Next()
		runtime.ReadMemStats(&after)
		if err != nil || fr.TooLarge || fr.Size != int64(size) {
			t.Fatalf("frame of %d bytes: %v, size %d, too large %v", size, err, fr.Size, fr.TooLarge)
		}
		if len(f.buf) > max+headSize+1 {
			t.Errorf("frame of %d bytes: buffer of %d bytes, over the limit and a head (%d)", size, len(f.buf), max+headSize+1)
		}
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(max)*5/4+uint64(headSize)+64<<10; got > limit {
			t.Errorf("reading a frame of %d bytes with a limit of %d allocated %d bytes, want at most %d (the limit and a quarter)",
				size, max, got, limit)
		}
	}
}

// Once a large frame has been read and nothing is buffered, the Framer
// goes back to its initial buffer, and the frames after it are read
// whole, large ones included.
func TestFramerLetsGoOfALargeBufferWhenEmpty(t *testing.T) {
	const max = 4 << 20
	var in bytes.Buffer
	in.Write(bigFrame(3 << 20))
	in.WriteString("\n")
	r, w := io.Pipe()
	go func() {
		w.Write(in.Bytes())
		w.Write([]byte(`{"b":1}` + "\n"))
		w.Write(append(bigFrame(2<<20), '\n'))
		w.Close()
	}()
	f := NewFramer(r, max)
	sizes := []int64{3 << 20, 7, 2 << 20}
	for i, want := range sizes {
		fr, err := f.Next()
		if err != nil || fr.Size != want || fr.TooLarge {
			t.Fatalf("frame %d: %v, size %d (want %d), too large %v", i, err, fr.Size, want, fr.TooLarge)
		}
		if i == 1 && len(f.buf) != initialSize {
			t.Errorf("after the large frame, with nothing buffered, the buffer is %d bytes, want %d", len(f.buf), initialSize)
		}
	}
	if _, err := f.Next(); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
	if len(f.buf) != initialSize {
		t.Errorf("at the end of the stream the buffer is %d bytes, want %d", len(f.buf), initialSize)
	}
}
