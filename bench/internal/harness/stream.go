package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// The stream workloads: ints100k streams the ints 0 ... n-1, bytes256m n
// bytes of a pattern whose period (251, a prime) does not divide any
// chunk size, so that a chunk lost, repeated or out of place is caught.

// ErrNoStreams is what a Caller whose system has no streams returns from
// Ints and Bytes; benchrun does not run those workloads on it.
var ErrNoStreams = errors.New("this system has no streams")

// StreamChunk is the size of the chunks of a byte stream, where the system
// sends chunks (messages) rather than an io.Reader's reads.
const StreamChunk = 64 << 10

const (
	period   = 251
	maxSlice = 1 << 20
)

// pattern holds the pattern from offset 0 for maxSlice bytes and one
// period more, so that any slice of up to maxSlice bytes is a subslice.
var pattern = func() []byte {
	b := make([]byte, maxSlice+period)
	for i := range b {
		b[i] = byte(i % period)
	}
	return b
}()

// Pattern returns the n bytes (at most 1 MiB) of the byte stream at
// offset off. The slice is shared: read it, never write it.
func Pattern(off int64, n int) []byte {
	if n > maxSlice {
		panic("harness: Pattern of more than 1 MiB")
	}
	s := int(off % period)
	return pattern[s : s+n]
}

// CheckPattern reports whether p is the byte stream at offset off.
func CheckPattern(p []byte, off int64) error {
	if !bytes.Equal(p, Pattern(off, len(p))) {
		return fmt.Errorf("the %d bytes at offset %d differ from the pattern", len(p), off)
	}
	return nil
}

// PatternReader returns a reader of the first n bytes of the byte stream.
func PatternReader(n int64) io.Reader { return &patternReader{n: n} }

type patternReader struct{ off, n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), maxSlice, r.n-r.off))
	copy(p, Pattern(r.off, k))
	r.off += int64(k)
	return k, nil
}

// ReadPattern reads r to its end into buf (at most 1 MiB) and checks that
// it is the first n bytes of the byte stream.
func ReadPattern(r io.Reader, n int64, buf []byte) error {
	var off int64
	for {
		k, err := r.Read(buf)
		if off+int64(k) > n {
			return fmt.Errorf("more than the %d bytes asked for", n)
		}
		if cerr := CheckPattern(buf[:k], off); cerr != nil {
			return cerr
		}
		off += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", off, err)
		}
	}
	if off != n {
		return fmt.Errorf("%d bytes, want %d", off, n)
	}
	return nil
}

// IntChecker checks a stream of ints as it arrives: item k must be k.
type IntChecker struct{ n int64 }

// Item checks the next item.
func (c *IntChecker) Item(v int64) error {
	if v != c.n {
		return fmt.Errorf("item %d is %d", c.n, v)
	}
	c.n++
	return nil
}

// End checks that the stream had n items.
func (c *IntChecker) End(n int64) error {
	if c.n != n {
		return fmt.Errorf("%d items, want %d", c.n, n)
	}
	return nil
}
