package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// States of an objectScan. The zero state expects a value: the opener a scan
// starts with.
const (
	stValue        uint8 = iota // a value must start
	stValueOrClose              // after '[': a value or ']'
	stKey                       // after ',' in an object: a member name
	stKeyOrClose                // after '{': a member name or '}'
	stColon                     // after a member name: ':'
	stNext                      // after a value: ',' or its container's closer
	stString                    // inside a string
	stEscape                    // after a backslash in a string
	stHex                       // inside the digits of a \u escape
	stMinus                     // after a number's '-'
	stZero                      // after a number's leading '0'
	stInt                       // in a number's integer digits
	stDot                       // after a number's '.'
	stFrac                      // in a number's fraction digits
	stExp                       // after a number's 'e' or 'E'
	stExpSign                   // after the exponent's sign
	stExpDigits                 // in the exponent's digits
	stLiteral                   // inside true, false or null
	stDeep                      // below maxDepth levels: brackets and strings only
	stDeepString                // inside a string below maxDepth levels
	stDeepEscape                // after a backslash there
)

// objectScan is the state of a scan through one JSON object (or array), fed
// in pieces. It follows the grammar of RFC 8259 and stops at the first byte
// that proves the bytes are not JSON: the first byte that no valid JSON
// value could have there (PROTOCOL.md section 5). Containers nested deeper
// than maxDepth levels are followed by their brackets and strings alone: a
// frame that deep is refused by the parser anyway, and the kinds of the open
// containers are kept for maxDepth levels at most, one bit each.
type objectScan struct {
	state uint8
	key   bool   // the string in progress is a member name
	hex   uint8  // digits left in a \u escape
	lit   string // the rest of the literal in progress
	nl    bool   // a newline was seen (between tokens)
	depth int    // containers open, deep ones included
	// objects has bit d set when level d (from 0) is an object; more holds
	// the levels past 128.
	objects [2]uint64
	more    []uint64
	// why says what the byte bad proved, "" while the bytes may be JSON. It
	// is a format with one verb, for bad.
	why string
	bad byte
	// off is the offset of the piece being scanned from the first byte of
	// the scan. spans records where the first containers at depth 2 (the
	// arrays and objects that are member values of a frame's object) start
	// and end, from that byte; nspans counts those complete.
	off    int
	spans  [maxSpans]span
	nspans int
	deep   bool // nested past maxDepth: not checked below it
}

// maxSpans is the number of container member values whose extent a scan
// records: a frame's args or reply, and a few more.
const maxSpans = 4

// span is the extent of a value in a frame: data[start:end].
type span struct{ start, end int }

// opened records a container opened at offset i of the piece scanned.
func (s *objectScan) opened(i int) {
	if s.depth == 2 && s.nspans < maxSpans {
		s.spans[s.nspans].start = s.off + i
	}
}

// closed records a container closed at offset i of the piece scanned.
func (s *objectScan) closed(i int) {
	if s.depth == 1 && s.nspans < maxSpans {
		s.spans[s.nspans].end = s.off + i + 1
		s.nspans++
	}
}

// scan advances through b. It returns true when the scan is over within b,
// with the offset just past the closing bracket of the value, or, when the
// value is malformed (s.why is set), just past the byte that proves it (at
// that byte when it is '{').
func (s *objectScan) scan(b []byte) (int, bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch s.state {
		case stString:
			j := stringStop(b[i:])
			if j < 0 {
				return len(b), false
			}
			i += j
			switch c = b[i]; c {
			case '"':
				s.state = stNext
				if s.key {
					s.state = stColon
				}
			case '\\':
				s.state = stEscape
			default:
				return s.fail(i, c, "raw control character %q in a string")
			}
		case stNext:
			if s.depth == 0 { // only after a scan started at a scalar
				return s.fail(i, c, "%q after the value")
			}
			switch c {
			case ' ', '\t', '\r':
			case '\n':
				s.nl = true
			case ',':
				s.state = stValue
				if s.inObject() {
					s.state = stKey
				}
			case '}', ']':
				if !s.close(c) {
					return s.fail(i, c, "%q does not close the open "+s.kind())
				}
				s.closed(i)
				if s.depth == 0 {
					return i + 1, true
				}
			default:
				return s.fail(i, c, "%q where ',' or the "+s.kind()+"'s closer must follow a value")
			}
		case stValue, stValueOrClose:
			switch c {
			case ' ', '\t', '\r':
			case '\n':
				s.nl = true
			case '"':
				s.state, s.key = stString, false
			case '{':
				s.open(true)
				s.opened(i)
			case '[':
				s.open(false)
				s.opened(i)
			case '-':
				s.state = stMinus
			case '0':
				s.state = stZero
			case '1', '2', '3', '4', '5', '6', '7', '8', '9':
				s.state = stInt
				for i+1 < len(b) && '0' <= b[i+1] && b[i+1] <= '9' {
					i++
				}
			case 't':
				s.state, s.lit = stLiteral, "rue"
			case 'f':
				s.state, s.lit = stLiteral, "alse"
			case 'n':
				s.state, s.lit = stLiteral, "ull"
			case ']':
				if s.state != stValueOrClose {
					return s.fail(i, c, "%q where a value must start")
				}
				s.close(c)
				s.closed(i)
				if s.depth == 0 {
					return i + 1, true
				}
			default:
				return s.fail(i, c, "%q where a value must start")
			}
		case stKey, stKeyOrClose:
			switch c {
			case ' ', '\t', '\r':
			case '\n':
				s.nl = true
			case '"':
				s.state, s.key = stString, true
			case '}':
				if s.state != stKeyOrClose {
					return s.fail(i, c, "%q where a member name must start")
				}
				s.close(c)
				s.closed(i)
				if s.depth == 0 {
					return i + 1, true
				}
			default:
				return s.fail(i, c, "%q where a member name must start")
			}
		case stColon:
			switch c {
			case ' ', '\t', '\r':
			case '\n':
				s.nl = true
			case ':':
				s.state = stValue
			default:
				return s.fail(i, c, "%q where ':' must follow a member name")
			}
		case stEscape:
			switch c {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.state = stString
			case 'u':
				s.state, s.hex = stHex, 4
			default:
				return s.fail(i, c, "invalid escape '\\' %q in a string")
			}
		case stHex:
			if !isHex(c) {
				return s.fail(i, c, "%q in a \\u escape")
			}
			if s.hex--; s.hex == 0 {
				s.state = stString
			}
		case stLiteral:
			if c != s.lit[0] {
				return s.fail(i, c, "%q in a literal")
			}
			if s.lit = s.lit[1:]; s.lit == "" {
				s.state = stNext
			}
		case stMinus, stDot, stExpSign:
			if c < '0' || c > '9' {
				return s.fail(i, c, "%q where a number needs a digit")
			}
			s.state++ // stZero or stInt, stFrac, stExpDigits
			if s.state == stZero && c != '0' {
				s.state = stInt
			}
		case stExp:
			switch {
			case c == '+' || c == '-':
				s.state = stExpSign
			case '0' <= c && c <= '9':
				s.state = stExpDigits
			default:
				return s.fail(i, c, "%q where an exponent needs a digit")
			}
		case stZero, stInt, stFrac, stExpDigits:
			switch {
			case '0' <= c && c <= '9' && s.state != stZero:
				for i+1 < len(b) && '0' <= b[i+1] && b[i+1] <= '9' {
					i++
				}
			case c == '.' && (s.state == stZero || s.state == stInt):
				s.state = stDot
			case (c == 'e' || c == 'E') && s.state != stExpDigits:
				s.state = stExp
			default:
				// The number ended: c follows it as it follows any value.
				s.state = stNext
				i--
			}
		case stDeep:
			switch c {
			case '"':
				s.state = stDeepString
			case '{', '[':
				s.depth++
			case '}', ']':
				if s.depth--; s.depth == maxDepth {
					s.state = stNext
				}
			}
		case stDeepString:
			j := indexQuoteOrBackslash(b[i:])
			if j < 0 {
				return len(b), false
			}
			i += j
			s.state = stDeep
			if b[i] == '\\' {
				s.state = stDeepEscape
			}
		case stDeepEscape:
			s.state = stDeepString
		}
	}
	return len(b), false
}

// fail records that byte c, at offset i, proves the value malformed, and
// returns the offset where the malformed value ends: after c, unless c is
// '{', which may start the next frame.
func (s *objectScan) fail(i int, c byte, why string) (int, bool) {
	s.why, s.bad = why, c
	if c == '{' {
		return i, true
	}
	return i + 1, true
}

// malformed returns what proved the value malformed, nil if nothing did,
// for a malformed value of size bytes.
func (s *objectScan) malformed(size int64) error {
	if s.why == "" {
		return nil
	}
	at := size - 1
	if s.bad == '{' {
		at = size
	}
	return fmt.Errorf("%w at byte %d: %s", ErrMalformed, at, fmt.Sprintf(s.why, s.bad))
}

// open enters a container.
func (s *objectScan) open(object bool) {
	d := s.depth
	s.depth++
	if s.depth > maxDepth {
		s.state = stDeep
		s.deep = true
		return
	}
	s.state = stValueOrClose
	if object {
		s.state = stKeyOrClose
	}
	w, bit := d>>6, uint64(1)<<(d&63)
	words := s.objects[:]
	if w >= len(words) {
		w -= len(words)
		if w == len(s.more) {
			s.more = append(s.more, 0)
		}
		words = s.more
	}
	if object {
		words[w] |= bit
	} else {
		words[w] &^= bit
	}
}

// inObject reports whether the innermost open container is an object.
func (s *objectScan) inObject() bool {
	d := s.depth - 1
	w, bit := d>>6, uint64(1)<<(d&63)
	if w < len(s.objects) {
		return s.objects[w]&bit != 0
	}
	return s.more[w-len(s.objects)]&bit != 0
}

// kind names the innermost open container.
func (s *objectScan) kind() string {
	if s.inObject() {
		return "object"
	}
	return "array"
}

// close leaves the innermost container with closer c, reporting false when
// c is not its closer.
func (s *objectScan) close(c byte) bool {
	if s.inObject() != (c == '}') {
		return false
	}
	s.depth--
	s.state = stNext
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// SWAR constants: a byte value in every byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringStop returns the index of the first byte of b that ends a run of
// plain string bytes: a quote, a backslash or a control character (below
// 0x20, which JSON forbids raw in a string), -1 if there is none. Short runs
// are looked at 8 bytes at a time; long ones with bytes.IndexByte, which is
// vectorised, then 64 bytes at a time for control characters.
func stringStop(b []byte) int {
	const short = 32
	i := 0
	for ; i+8 <= len(b) && i < short; i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := below20(x) | zeroByte(x^'"'*ones) | zeroByte(x^'\\'*ones); m != 0 {
			return i + bits.TrailingZeros64(m)>>3 // the lowest flag of each mask is exact
		}
	}
	for ; i < len(b) && i < short; i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	if len(b) <= short {
		return -1
	}
	rest := b[short:]
	j := indexQuoteOrBackslash(rest)
	if j >= 0 {
		rest = rest[:j]
	}
	if k := indexControl(rest); k >= 0 {
		return short + k
	}
	if j < 0 {
		return -1
	}
	return short + j
}

// zeroByte has the high bit of a byte set where x has a zero byte; the
// lowest such byte is exact (higher ones may be false positives, from a
// borrow).
func zeroByte(x uint64) uint64 { return (x - ones) &^ x & highs }

// below20 has the high bit of a byte set where x has a byte below 0x20;
// the lowest such byte is exact (higher ones may be false positives, from
// a borrow).
func below20(x uint64) uint64 { return (x - 0x20*ones) &^ x & highs }

// indexControl returns the index of the first byte of b below 0x20, -1 if
// there is none. It tests 64 bytes per round, 8 at a time.
func indexControl(b []byte) int {
	p := b
	for len(p) >= 64 {
		q := p[:64]
		x0, x1 := binary.LittleEndian.Uint64(q[0:]), binary.LittleEndian.Uint64(q[8:])
		x2, x3 := binary.LittleEndian.Uint64(q[16:]), binary.LittleEndian.Uint64(q[24:])
		x4, x5 := binary.LittleEndian.Uint64(q[32:]), binary.LittleEndian.Uint64(q[40:])
		x6, x7 := binary.LittleEndian.Uint64(q[48:]), binary.LittleEndian.Uint64(q[56:])
		m := (x0-0x20*ones)&^x0 | (x1-0x20*ones)&^x1 | (x2-0x20*ones)&^x2 | (x3-0x20*ones)&^x3 |
			(x4-0x20*ones)&^x4 | (x5-0x20*ones)&^x5 | (x6-0x20*ones)&^x6 | (x7-0x20*ones)&^x7
		if m&highs != 0 {
			break
		}
		p = p[64:]
	}
	i := len(b) - len(p)
	for ; i+8 <= len(b); i += 8 {
		if m := below20(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if b[i] < 0x20 {
			return i
		}
	}
	return -1
}

// indexQuoteOrBackslash returns the index of the first quote or backslash
// of b, -1 if there is none.
func indexQuoteOrBackslash(b []byte) int {
	q := bytes.IndexByte(b, '"')
	lim := b
	if q >= 0 {
		lim = b[:q]
	}
	if k := bytes.IndexByte(lim, '\\'); k >= 0 {
		return k
	}
	return q
}

// StringStop returns the index of the first byte of b that a run of plain
// JSON string bytes cannot hold: a quote, a backslash or a control
// character; -1 if there is none.
func StringStop(b []byte) int { return stringStop(b) }
