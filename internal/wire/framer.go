package wire

import (
	"errors"
	"fmt"
	"io"
	"math"
	"weak"
)

// ErrTruncated reports a stream that ended inside a frame.
var ErrTruncated = errors.New("stream ended inside a frame")

// ErrMalformed is wrapped by Frame.Err: the frame was cut short at a byte
// that proves it is not JSON (PROTOCOL.md section 5).
var ErrMalformed = errors.New("malformed frame")

// ErrBlobsTooLarge is returned by ReadBlobs asked to keep blobs that, with
// their frame, exceed the frame limit. The blobs have been consumed and
// dropped, so the stream is still in step.
var ErrBlobsTooLarge = errors.New("blobs exceed the frame limit")

// ErrBadBlobLength is returned by ReadBlobs given a negative length. Nothing
// was consumed.
var ErrBadBlobLength = errors.New("negative blob length")

// maxLimit is the largest frame limit a Framer accepts, so that its buffer
// size (the limit plus headSize plus one) never overflows an int.
const maxLimit = math.MaxInt - headSize - 1

// maxRetries is how many reads in a row may return no bytes and no error
// before a Framer gives up with io.ErrNoProgress.
const maxRetries = 100

// initialSize is the size of a Framer's buffer while its frames are small.
const initialSize = 64 << 10

// headSize is how much of a frame too large to keep is retained, so that its
// sequence (and blobs) can still be recovered.
const headSize = 4 << 10

// Frame is one JSON object read from a stream.
type Frame struct {
	// Data is the whole object. It is valid until the next call on the Framer
	// and nil when TooLarge.
	Data []byte
	// Size is the object's length in bytes.
	Size int64
	// TooLarge is set when the object exceeded the limit and was discarded
	// without being kept whole.
	TooLarge bool
	// Head holds the first bytes of a discarded object.
	Head []byte
	// Err is set when the object is malformed: Data (or Head) then holds its
	// bytes through the first one that proves it is not JSON (before it, if
	// it is '{', which is left to start the next object), and Err, wrapping
	// ErrMalformed, says which byte that is and at which offset. Scanning
	// resumes after the object (PROTOCOL.md section 5).
	Err error

	// Where the first arrays and objects that are member values of the
	// object start and end in Data, for ParseFrameRequest and
	// ParseFrameResponse.
	spans  [maxSpans]span
	nspans int
}

// Framer splits a byte stream into JSON objects by scanning the JSON itself,
// with its grammar. It accepts any bytes between objects (whitespace,
// newlines or nothing), skips garbage to the next '{', never waits for more
// input once an object is complete or proved malformed, cuts a malformed
// object at the byte that proves it so that the objects after it are read
// (PROTOCOL.md section 5), and discards objects larger than its limit
// through their end without buffering them.
type Framer struct {
	r    io.Reader
	max  int
	buf  []byte
	r0   int // start of unread data
	w0   int // end of unread data
	err  error
	last int64 // size of the last frame returned by Next, for ReadBlobs

	// small is the initial buffer, which buf returns to once a larger one
	// is empty (see fill); spare is the larger one, until it is collected.
	small []byte
	spare weak.Pointer[spareBuf]

	wk     *waker   // set by Wakeable
	before func()   // set by BeforeRead
	cur    partial  // Next's progress through an object
	bl     blobRead // ReadBlobs' progress through a frame's blobs

	// openLine is set when the last frame was malformed and its line did
	// not end in it: its blobs, if any, start after the end of that line.
	openLine bool

	// Skipped counts bytes that could not start an object and were skipped.
	Skipped int64
}

// NewFramer returns a Framer reading r with a frame limit of max bytes.
func NewFramer(r io.Reader, max int) *Framer {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	if max > maxLimit {
		max = maxLimit
	}
	n := initialSize
	if n > max+1 {
		n = max + 1
	}
	buf := make([]byte, n)
	return &Framer{r: r, max: max, buf: buf, small: buf}
}

// BeforeRead makes the Framer call fn before each read of its reader, on
// the goroutine that reads: a reader that answers the frames it reads
// flushes the answers it held back (Writer.Defer) before it waits for
// more input.
func (f *Framer) BeforeRead(fn func()) { f.before = fn }

// Max returns the frame size limit.
func (f *Framer) Max() int { return f.max }

// Next returns the next object. At the clean end of the stream it returns
// io.EOF; a stream that ends inside an object returns an error wrapping
// ErrTruncated; read errors are returned as they are.
//
// On a Wakeable Framer, Wake makes Next return ErrWoken wherever it waits,
// between objects or inside one: what it had read is kept, and the next
// call goes on where this one stopped, so the stream stays in step.
func (f *Framer) Next() (Frame, error) {
	c := &f.cur
	if !c.active {
		if err := f.seekObject(); err != nil {
			return Frame{}, err
		}
		*c = partial{active: true}
	}
	for {
		c.scan.off = c.pos
		if end, done := c.scan.scan(f.buf[f.r0+c.pos : f.w0]); done {
			c.pos += end
			break
		}
		c.pos = f.w0 - f.r0
		if !c.fr.TooLarge && int64(c.pos) > int64(f.max) {
			c.fr.TooLarge = true
			c.fr.Head = head(f.buf[f.r0:f.w0])
		}
		if c.fr.TooLarge {
			c.fr.Size += int64(c.pos)
			f.r0, f.w0, c.pos = 0, 0, 0
		}
		if err := f.fill(); err != nil {
			if err == ErrWoken {
				return Frame{}, err // c keeps the object's progress
			}
			if err == io.EOF {
				err = fmt.Errorf("%w (%d bytes read)", ErrTruncated, c.fr.Size+int64(f.w0-f.r0))
			}
			*c = partial{}
			return Frame{}, err
		}
	}
	fr, pos := c.fr, f.r0+c.pos
	fr.Size += int64(pos - f.r0)
	fr.Err = f.malformed(&c.scan, fr.Size)
	if !c.scan.deep { // a frame too deep is refused by the parser, which counts
		fr.spans, fr.nspans = c.scan.spans, c.scan.nspans
	}
	*c = partial{}
	return f.finishFrame(fr, pos), nil
}

// partial is the progress of Next through an object, kept across ErrWoken.
type partial struct {
	active bool
	scan   objectScan
	pos    int // scanned bytes, from r0
	fr     Frame
}

// finishFrame completes fr, whose object ends at pos in the buffer.
func (f *Framer) finishFrame(fr Frame, pos int) Frame {
	if !fr.TooLarge && fr.Size > int64(f.max) {
		fr.TooLarge = true
		fr.Head = head(f.buf[f.r0:pos])
	}
	if !fr.TooLarge {
		fr.Data = f.buf[f.r0:pos]
	}
	f.r0 = pos
	f.last = fr.Size
	return fr
}

// head copies the first headSize bytes of b.
func head(b []byte) []byte {
	if len(b) > headSize {
		b = b[:headSize]
	}
	return append([]byte(nil), b...)
}

// seekObject skips to the next '{', counting what it skips other than JSON
// whitespace.
func (f *Framer) seekObject() error {
	for {
		for i := f.r0; i < f.w0; i++ {
			switch c := f.buf[i]; c {
			case '{':
				f.r0 = i
				return nil
			case ' ', '\t', '\r', '\n':
			default:
				f.Skipped++
			}
		}
		f.r0, f.w0 = 0, 0
		if err := f.fill(); err != nil {
			return err
		}
	}
}

// fill reads more input into the buffer, compacting or growing it first.
// It moves unread data to the front, so callers must rebase their offsets
// against r0.
//
// The buffer holds at most the limit and a head (growBuffer). Once it is
// empty, a buffer grown past the initial size is let go before the read,
// which may wait for the peer a long time: the Framer keeps only a weak
// reference to it, and takes it back when a large frame comes before the
// garbage collector has reclaimed it.
func (f *Framer) fill() error {
	if f.err != nil {
		return f.err
	}
	if f.r0 > 0 {
		f.w0 = copy(f.buf, f.buf[f.r0:f.w0])
		f.r0 = 0
	}
	if f.w0 == 0 && len(f.buf) > len(f.small) {
		f.spare = weak.Make(&spareBuf{f.buf})
		f.buf = f.small
	}
	if f.w0 == len(f.buf) {
		f.growBuffer()
	}
	n, err := f.read(f.buf[f.w0:])
	f.w0 += n
	return err
}

// spareBuf holds a buffer the Framer let go, for a weak reference to it.
type spareBuf struct{ b []byte }

// growBuffer replaces the full buffer with a larger one. It doubles while
// the buffer is under an eighth of the limit, then goes straight to the
// limit and a head: the buffers left behind by doubling, which the garbage
// collector may not have reclaimed yet, add up to at most a quarter of the
// limit, where doubling all the way would leave as much as the limit.
func (f *Framer) growBuffer() {
	limit := f.max + headSize + 1
	n := 2 * len(f.buf)
	if n > f.max/8 || n > limit {
		n = limit
	}
	if n <= len(f.buf) { // cannot happen while the frame is within max
		n = len(f.buf) + 1
	}
	var nb []byte
	if sp := f.spare.Value(); sp != nil && len(sp.b) >= n {
		nb = sp.b
	} else {
		nb = make([]byte, n)
	}
	f.spare = weak.Pointer[spareBuf]{}
	copy(nb, f.buf[:f.w0])
	f.buf = nb
}

// read reads into p from the underlying reader, at least one byte unless it
// returns an error. An error is sticky: once the reader has returned one,
// read returns it without reading again. A reader that returns neither bytes
// nor an error maxRetries times in a row fails with io.ErrNoProgress.
// ErrWoken (see Wake) is not sticky.
func (f *Framer) read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	for tries := 0; tries < maxRetries; tries++ {
		n, err := f.readOnce(p)
		if err == ErrWoken {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if err != nil {
			f.err = err
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if n > 0 {
			return n, nil
		}
	}
	f.err = io.ErrNoProgress
	return 0, f.err
}

// FrameSize returns the size of a frame of size bytes with blobs of the
// given lengths, saturating instead of overflowing.
func FrameSize(size int64, lengths []int64) int64 {
	for _, n := range lengths {
		if n < 0 || n > math.MaxInt64-size {
			return math.MaxInt64
		}
		size += n
	}
	return size
}

// Buffered returns how many unread bytes the Framer holds.
func (f *Framer) Buffered() int { return f.w0 - f.r0 }

// HasMore reports whether the Framer holds unread bytes other than JSON
// whitespace: the start of another frame, most likely. The newline that
// ends a frame is not more to read.
func (f *Framer) HasMore() bool {
	for _, c := range f.buf[f.r0:f.w0] {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return true
		}
	}
	return false
}

// ReadBlobs reads the raw blobs that follow a frame with a blobs member:
// first the frame's terminating newline, then each blob. When keep is false
// the bytes are consumed and dropped (a frame refused for its size). When
// keep is true and the blobs with the frame last returned by Next exceed the
// frame limit, they are consumed and dropped too and ReadBlobs returns an
// error wrapping ErrBlobsTooLarge: a peer's lengths never make it allocate
// more than the limit. A negative length is an error wrapping
// ErrBadBlobLength, before anything is consumed.
//
// Like Next, on a Wakeable Framer it returns ErrWoken when woken, keeping
// its progress: the caller calls it again with the same arguments.
func (f *Framer) ReadBlobs(lengths []int64, keep bool) ([][]byte, error) {
	if len(lengths) == 0 {
		return nil, nil
	}
	b := &f.bl
	if !b.active {
		over, err := f.overLimit(lengths)
		if err != nil {
			return nil, err
		}
		*b = blobRead{active: true, keep: keep && !over, over: over && keep, left: lengths[0]}
		if b.keep {
			b.out = make([][]byte, len(lengths))
		}
	}
	if err := f.readBlobs(lengths); err != nil {
		if err != ErrWoken {
			*b = blobRead{}
		}
		return nil, err
	}
	out, over := b.out, b.over
	*b = blobRead{}
	if over {
		return nil, fmt.Errorf("%w: %d bytes allowed", ErrBlobsTooLarge, f.max)
	}
	return out, nil
}

// blobRead is the progress of ReadBlobs, kept across ErrWoken.
type blobRead struct {
	active  bool
	keep    bool  // the blobs are kept
	over    bool  // kept blobs were asked for, over the limit: drop, then fail
	newline bool  // the frame's newline is consumed
	i       int   // the blob being read
	left    int64 // its bytes still to read
	out     [][]byte
}

// overLimit checks lengths and reports whether they exceed the frame limit
// with the frame last returned by Next.
func (f *Framer) overLimit(lengths []int64) (bool, error) {
	total := f.last
	over := false
	for _, n := range lengths {
		if n < 0 {
			return false, fmt.Errorf("%w: %d", ErrBadBlobLength, n)
		}
		if n > int64(f.max)-total {
			over = true
		} else {
			total += n
		}
	}
	return over, nil
}

// readBlobs goes on with f.bl.
func (f *Framer) readBlobs(lengths []int64) error {
	b := &f.bl
	if !b.newline {
		if err := f.skipNewline(); err != nil {
			return err
		}
		b.newline = true
	}
	for b.i < len(lengths) {
		var dst []byte
		if b.keep {
			if b.out[b.i] == nil {
				b.out[b.i] = make([]byte, lengths[b.i])
			}
			dst = b.out[b.i]
		}
		if err := f.readRaw(dst, &b.left); err != nil {
			if err == ErrWoken {
				return err
			}
			return fmt.Errorf("reading blob %d of %d bytes: %w", b.i, lengths[b.i], err)
		}
		b.i++
		if b.i < len(lengths) {
			b.left = lengths[b.i]
		}
	}
	return nil
}

// malformed returns the error of a frame of size bytes that s ended, nil
// when it is well formed, and records whether its line is still open: no
// newline ended it, neither inside it nor as the byte that proved it
// malformed.
func (f *Framer) malformed(s *objectScan, size int64) error {
	f.openLine = s.why != "" && s.bad != '\n' && !s.nl
	return s.malformed(size)
}

// skipNewline consumes the newline that ends the last frame, if it is next.
// After a malformed frame that did not end at a newline, it consumes the
// rest of the frame's line instead.
func (f *Framer) skipNewline() error {
	if f.openLine {
		return f.skipLine()
	}
	if f.r0 == f.w0 {
		if err := f.fill(); err != nil {
			return noEOF(err)
		}
	}
	if f.buf[f.r0] == '\n' {
		f.r0++
	}
	return nil
}

// skipLine consumes bytes through the next newline, counting those that are
// not whitespace as skipped.
func (f *Framer) skipLine() error {
	for {
		if f.r0 == f.w0 {
			f.r0, f.w0 = 0, 0
			if err := f.fill(); err != nil {
				return noEOF(err)
			}
		}
		for i := f.r0; i < f.w0; i++ {
			switch f.buf[i] {
			case '\n':
				f.r0 = i + 1
				f.openLine = false
				return nil
			case ' ', '\t', '\r':
			default:
				f.Skipped++
			}
		}
		f.r0 = f.w0
	}
}

// readRaw consumes *left bytes, copying them to the end of dst when dst is
// not nil, and counts them down in *left as it goes.
func (f *Framer) readRaw(dst []byte, left *int64) error {
	for *left > 0 {
		n := *left
		if f.r0 == f.w0 {
			if dst != nil && int64(len(dst)) >= int64(len(f.buf)) {
				// Large blob: read straight into its destination.
				m, err := f.read(dst[len(dst)-int(n):])
				if err != nil {
					return noEOF(err)
				}
				*left -= int64(m)
				continue
			}
			f.r0, f.w0 = 0, 0
			if err := f.fill(); err != nil {
				return noEOF(err)
			}
		}
		k := int64(f.w0 - f.r0)
		if k > n {
			k = n
		}
		if dst != nil {
			copy(dst[len(dst)-int(n):], f.buf[f.r0:f.r0+int(k)])
		}
		f.r0 += int(k)
		*left -= k
	}
	return nil
}

func noEOF(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w (inside blobs)", ErrTruncated)
	}
	return err
}
