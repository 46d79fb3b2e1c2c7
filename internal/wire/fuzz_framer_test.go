package wire

import (
	"bytes"
	"io"
	"testing"
)

// FuzzFramer feeds an arbitrary stream to a Framer with an arbitrary limit,
// in reads of an arbitrary size. It must not panic, must end, and must find
// exactly the frames the reference model finds: each starting with '{',
// within the limit or reported TooLarge, every byte accounted for.
func FuzzFramer(f *testing.F) {
	for _, s := range seedStreams {
		f.Add([]byte(s), uint16(1<<15), uint8(0))
		f.Add([]byte(s), uint16(20), uint8(3))
		f.Add([]byte(s), uint16(60), uint8(0x81))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16, chunk uint8) {
		max := int(limit) + 1
		var r io.Reader = bytes.NewReader(data)
		switch {
		case chunk&0x80 != 0:
			r = &stutterReader{r: r}
		case chunk != 0:
			r = &chunkReader{r: r, n: int(chunk)}
		}
		got, fr, err := drain(t, r, max)
		if d := checkAgainstRef(data, max, got, err, fr.Skipped); d != "" {
			t.Fatal(d)
		}
		var total int64
		for _, g := range got {
			total += g.size
		}
		if total+fr.Skipped > int64(len(data)) {
			t.Fatalf("%d bytes in frames and %d skipped, from a stream of %d", total, fr.Skipped, len(data))
		}
		if len(fr.buf) > max+headSize+1 && len(fr.buf) > 64<<10 {
			t.Fatalf("buffer of %d bytes for a limit of %d", len(fr.buf), max)
		}
	})
}
