package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects in a frame, the frame's
// own object included, as encoding/json bounds it.
const maxDepth = 10000

// ParseRequest decodes one request frame. Unknown members are ignored, as
// PROTOCOL.md lets later versions add them; a member of the wrong type, a
// missing sequence, a sequence or blobs member given twice (PROTOCOL.md
// section 5) or invalid JSON is an error. Args is a copy: data may be
// reused once ParseRequest returns.
//
// The frame is scanned by hand, with the grammar of RFC 8259: args and
// unknown members are checked to be JSON and kept or skipped as written,
// whatever the range of their numbers (a number that fits no Go type is
// valid JSON, for the decoder of the argument to judge).
func ParseRequest(data []byte, req *Request) error {
	p := parser{data: data}
	return parseRequest(&p, req)
}

// ParseFrameRequest is ParseRequest for a frame read by a Framer. When
// the Framer found it well-formed (Err nil, not TooLarge), args and unknown
// members are skipped by their brackets and strings alone, or by where the
// Framer saw them end, without checking their grammar again; the members
// the protocol defines are checked as by ParseRequest. Otherwise it is
// ParseRequest of fr.Data.
func ParseFrameRequest(fr Frame, req *Request) error {
	p := frameParser(&fr)
	return parseRequest(&p, req)
}

// frameParser returns the parser for fr.Data that ParseFrameRequest and
// ParseFrameResponse use.
func frameParser(fr *Frame) parser {
	if fr.Err != nil || fr.TooLarge {
		return parser{data: fr.Data}
	}
	return parser{data: fr.Data, valid: true, spans: fr.spans, nspans: fr.nspans}
}

func parseRequest(p *parser, req *Request) error {
	*req = Request{}
	var haveSeq bool
	var seen uint8
	for more := p.begin(); more; more = p.next() {
		switch string(p.key()) {
		case "sequence":
			p.once(&seen, seenSequence)
			haveSeq = p.readUint("sequence", &req.Sequence)
		case "type":
			p.readType(&req.Type)
		case "namespace":
			p.readName("namespace", &req.Namespace)
		case "name":
			p.readName("name", &req.Name)
		case "args":
			req.Args = p.readRaw()
		case "timeout":
			p.readInt("timeout", &req.Timeout)
		case "callback":
			p.readUint("callback", &req.Callback)
		case "blobs":
			p.once(&seen, seenBlobs)
			req.Blobs = p.readBlobs()
		default:
			p.skip()
		}
	}
	return p.finish(haveSeq, "request")
}

// ParseResponse decodes one response frame, with the rules of ParseRequest.
// A frame with a type member is not a response but a request travelling
// host to plugin (PROTOCOL.md section 6, reserved for later versions): its
// type is recorded so that the receiver can tell.
func ParseResponse(data []byte, resp *Response) error {
	p := parser{data: data}
	return parseResponse(&p, resp)
}

// ParseFrameResponse is ParseResponse for a frame read by a Framer, as
// ParseFrameRequest is for requests.
func ParseFrameResponse(fr Frame, resp *Response) error {
	p := frameParser(&fr)
	return parseResponse(&p, resp)
}

func parseResponse(p *parser, resp *Response) error {
	*resp = Response{}
	var haveSeq bool
	var seen uint8
	for more := p.begin(); more; more = p.next() {
		switch string(p.key()) {
		case "sequence":
			p.once(&seen, seenSequence)
			haveSeq = p.readUint("sequence", &resp.Sequence)
		case "type":
			p.readType(&resp.Type)
		case "reply":
			resp.Reply = p.readRaw()
		case "services":
			resp.Services = p.readStrings()
		case "ok":
			p.readBool("ok", &resp.OK)
		case "more":
			p.readBool("more", &resp.More)
		case "error":
			p.readString("error", &resp.Error)
		case "code":
			p.readString("code", &resp.Code)
		case "detail":
			resp.Detail = p.readRaw()
		case "blobs":
			p.once(&seen, seenBlobs)
			resp.Blobs = p.readBlobs()
		default:
			p.skip()
		}
	}
	return p.finish(haveSeq, "response")
}

// parser reads the top-level object of a frame. Its methods do nothing once
// err is set; the first error is the one reported.
type parser struct {
	data  []byte
	pos   int
	err   string
	valid bool // data is known to be JSON: skip trusts its grammar
	// Where the framer saw containers in data start and end.
	spans  [maxSpans]span
	nspans int
}

// Members that may appear once only (PROTOCOL.md section 5): a receiver
// that recovers them from a frame it cannot parse takes the first, so a
// frame that has two is refused rather than read with either.
const (
	seenSequence uint8 = 1 << iota
	seenBlobs
)

// once fails when the member flagged by bit was seen before in the frame.
func (p *parser) once(seen *uint8, bit uint8) {
	if *seen&bit != 0 {
		name := "sequence"
		if bit == seenBlobs {
			name = "blobs"
		}
		p.fail("duplicate member " + name)
	}
	*seen |= bit
}

func (p *parser) fail(msg string) {
	if p.err == "" {
		p.err = msg
	}
}

// finish checks that nothing but whitespace follows the object and words
// the error, if any.
func (p *parser) finish(haveSeq bool, what string) error {
	if p.err == "" && spaceEnd(p.data, p.pos) != len(p.data) {
		p.fail("data after the object")
	}
	if p.err != "" {
		var raw json.RawMessage // checks the syntax only, numbers of any range
		if err := json.Unmarshal(p.data, &raw); err != nil {
			return fmt.Errorf("invalid %s frame: not JSON: %v", what, err)
		}
		return fmt.Errorf("invalid %s frame: %s", what, p.err)
	}
	if !haveSeq {
		return fmt.Errorf("invalid %s frame: no sequence", what)
	}
	return nil
}

// begin reads the opening brace and reports whether a member follows.
func (p *parser) begin() bool {
	i := spaceEnd(p.data, p.pos)
	if i >= len(p.data) || p.data[i] != '{' {
		p.fail("not an object")
		return false
	}
	i = spaceEnd(p.data, i+1)
	if i < len(p.data) && p.data[i] == '}' {
		p.pos = i + 1
		return false
	}
	p.pos = i
	return true
}

// next reads what follows a member's value and reports whether another
// member follows.
func (p *parser) next() bool {
	if p.err != "" {
		return false
	}
	i := spaceEnd(p.data, p.pos)
	if i < len(p.data) {
		switch p.data[i] {
		case ',':
			p.pos = i + 1
			return true
		case '}':
			p.pos = i + 1
			return false
		}
	}
	p.fail("expected ',' or '}' after a member")
	return false
}

// key reads a member name and its colon, and returns the name, unescaped.
// It returns nil on an error.
func (p *parser) key() []byte {
	if p.err != "" {
		return nil
	}
	data := p.data
	i := spaceEnd(data, p.pos)
	if i >= len(data) || data[i] != '"' {
		p.fail("expected a member name")
		return nil
	}
	end, esc := scanString(data, i)
	if end < 0 {
		p.fail("invalid string")
		return nil
	}
	name := data[i+1 : end-1]
	if esc {
		name = unescape(nil, name)
	}
	i = spaceEnd(data, end)
	if i >= len(data) || data[i] != ':' {
		p.fail("expected ':' after a member name")
		return nil
	}
	p.pos = spaceEnd(data, i+1)
	return name
}

// peek returns the first byte of the value at p.pos, 0 at the end of data.
// key has skipped the whitespace before it.
func (p *parser) peek() byte {
	if p.err != "" || p.pos >= len(p.data) {
		return 0
	}
	return p.data[p.pos]
}

// null reads a null at p.pos, reporting whether there was one.
func (p *parser) null() bool {
	if p.peek() != 'n' {
		return false
	}
	p.skip()
	return true
}

func (p *parser) mustBe(field, what string) {
	if p.err == "" {
		p.fail(field + " must be " + what)
	}
}

// number reads the number at p.pos for an integer member: its digits, and
// whether it is negative. ok is false, with the error set, when the value
// is not an integer written without fraction or exponent.
func (p *parser) number(field, what string) (digits []byte, neg, ok bool) {
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		p.mustBe(field, what)
		return nil, false, false
	}
	start := p.pos
	end, integer := scanNumber(p.data, start)
	if end < 0 {
		p.fail("invalid number")
		return nil, false, false
	}
	p.pos = end
	if !integer {
		p.mustBe(field, what)
		return nil, false, false
	}
	digits = p.data[start:end]
	if digits[0] == '-' {
		return digits[1:], true, true
	}
	return digits, false, true
}

// readUint reads an unsigned integer; null leaves dst as it is. It reports
// whether it read one.
func (p *parser) readUint(field string, dst *uint64) bool {
	if p.null() {
		return false
	}
	const what = "an unsigned integer"
	digits, neg, ok := p.number(field, what)
	if !ok {
		return false
	}
	v, ok := parseDigits(digits, math.MaxUint64)
	if neg || !ok {
		p.mustBe(field, what)
		return false
	}
	*dst = v
	return true
}

// readInt reads an int64; null leaves dst as it is.
func (p *parser) readInt(field string, dst *int64) {
	if p.null() {
		return
	}
	if v, ok := p.int64(field, "an integer"); ok {
		*dst = v
	}
}

func (p *parser) int64(field, what string) (int64, bool) {
	digits, neg, ok := p.number(field, what)
	if !ok {
		return 0, false
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	v, ok := parseDigits(digits, limit)
	if !ok {
		p.mustBe(field, what)
		return 0, false
	}
	if neg {
		return -int64(v), true // -(1<<63) wraps to itself, as wanted
	}
	return int64(v), true
}

// parseDigits parses decimal digits, failing above limit.
func parseDigits(digits []byte, limit uint64) (uint64, bool) {
	var v uint64
	for _, c := range digits {
		d := uint64(c - '0')
		if v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// str reads the string at p.pos, which the caller has checked starts
// with a quote, returning its raw contents and whether they hold escapes.
func (p *parser) str() (s []byte, esc, ok bool) {
	end, esc := scanString(p.data, p.pos)
	if end < 0 {
		p.fail("invalid string")
		return nil, false, false
	}
	s = p.data[p.pos+1 : end-1]
	p.pos = end
	return s, esc, true
}

func decodeString(s []byte, esc bool) string {
	if esc {
		return string(unescape(make([]byte, 0, len(s)), s))
	}
	return string(s)
}

// member reads a string member's raw contents, and whether they hold
// escapes; ok is false for null (dst left as it is) and when it is not a
// string (the parser fails, naming field).
func (p *parser) member(field string) (s []byte, esc, ok bool) {
	if p.null() {
		return nil, false, false
	}
	if p.peek() != '"' {
		p.mustBe(field, "a string")
		return nil, false, false
	}
	return p.str()
}

// readString reads a string; null leaves dst as it is.
func (p *parser) readString(field string, dst *string) {
	if s, esc, ok := p.member(field); ok {
		*dst = decodeString(s, esc)
	}
}

// readName is readString for a namespace or a name, which it interns: a
// peer calls a few services over and over.
func (p *parser) readName(field string, dst *string) {
	if s, esc, ok := p.member(field); ok {
		if esc {
			*dst = decodeString(s, esc)
		} else {
			*dst = intern(s)
		}
	}
}

// interned holds recent namespaces and names, by a hash of their bytes: a
// bounded cache that a peer sending many names only makes miss.
var interned [256]atomic.Pointer[string]

// maxInterned is the longest string intern keeps.
const maxInterned = 64

// intern returns s as a string, the one interned when it is the same.
func intern(s []byte) string {
	if len(s) > maxInterned {
		return string(s)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range s {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &interned[h%uint32(len(interned))]
	if p := slot.Load(); p != nil && *p == string(s) {
		return *p
	}
	str := string(s)
	slot.Store(&str)
	return str
}

// readType is readString for the type member, sparing an allocation for the
// types of the protocol.
func (p *parser) readType(dst *string) {
	s, esc, ok := p.member("type")
	if !ok {
		return
	}
	if !esc {
		switch string(s) {
		case TypeCall:
			*dst = TypeCall
			return
		case TypeCancel:
			*dst = TypeCancel
			return
		case TypeHello:
			*dst = TypeHello
			return
		}
	}
	*dst = decodeString(s, esc)
}

// readBool reads a boolean; null leaves dst as it is.
func (p *parser) readBool(field string, dst *bool) {
	if p.null() {
		return
	}
	data, i := p.data, p.pos
	switch {
	case p.peek() == 't' && bytes.HasPrefix(data[i:], []byte("true")):
		*dst = true
		p.pos += 4
	case p.peek() == 'f' && bytes.HasPrefix(data[i:], []byte("false")):
		*dst = false
		p.pos += 5
	default:
		p.mustBe(field, "a boolean")
	}
}

// readRaw returns a copy of the JSON value at p.pos, nil for null.
func (p *parser) readRaw() []byte {
	if p.null() {
		return nil
	}
	start := p.pos
	p.skip()
	if p.err != "" {
		return nil
	}
	return bytes.Clone(p.data[start:p.pos])
}

// array reads the opening bracket of an array member and reports whether
// an element follows; null reads as an empty array.
func (p *parser) array(field, what string) bool {
	if p.null() {
		return false
	}
	if p.peek() != '[' {
		p.mustBe(field, what)
		return false
	}
	i := spaceEnd(p.data, p.pos+1)
	if i < len(p.data) && p.data[i] == ']' {
		p.pos = i + 1
		return false
	}
	p.pos = i
	return true
}

// element reads what follows an array element and reports whether another
// one follows. It leaves p.pos at that element.
func (p *parser) element() bool {
	if p.err != "" {
		return false
	}
	i := spaceEnd(p.data, p.pos)
	if i < len(p.data) {
		switch p.data[i] {
		case ',':
			p.pos = spaceEnd(p.data, i+1)
			return true
		case ']':
			p.pos = i + 1
			return false
		}
	}
	p.fail("expected ',' or ']' after an element")
	return false
}

func (p *parser) readStrings() []string {
	const what = "an array of strings"
	var out []string
	for more := p.array("services", what); more; more = p.element() {
		if p.peek() != '"' {
			p.mustBe("services", what)
			return nil
		}
		s, esc, ok := p.str()
		if !ok {
			return nil
		}
		out = append(out, decodeString(s, esc))
	}
	return out
}

func (p *parser) readBlobs() []int64 {
	const what = "an array of lengths"
	var out []int64
	for more := p.array("blobs", what); more; more = p.element() {
		n, ok := p.int64("blobs", what)
		if !ok {
			return nil
		}
		if n < 0 {
			p.fail("a blob length is negative")
			return nil
		}
		out = append(out, n)
	}
	return out
}

// skip moves past the JSON value at p.pos, checking that it is one: any
// number of the JSON grammar, whatever its range, strings with valid escapes
// and no raw control characters, nesting up to maxDepth (the frame's object
// is one level).
func (p *parser) skip() {
	if p.err != "" {
		return
	}
	if p.valid {
		p.skipValid()
		return
	}
	data := p.data
	i := p.pos
	var inline [2]uint64
	objects := inline[:] // bit d: level d of the value is an object
	depth := 0
	for {
		// A value starts at i.
		i = spaceEnd(data, i)
		if i >= len(data) {
			p.fail("unexpected end of input")
			return
		}
		switch c := data[i]; c {
		case '{', '[':
			if depth+2 > maxDepth { // the value's levels and the frame's
				p.fail("exceeded max depth")
				return
			}
			i = spaceEnd(data, i+1)
			if i < len(data) && data[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				break
			}
			w, bit := depth>>6, uint64(1)<<(depth&63)
			if w == len(objects) {
				objects = append(objects, 0)
			}
			depth++
			if c == '[' {
				objects[w] &^= bit
				continue
			}
			objects[w] |= bit
			if i = memberName(data, i); i < 0 {
				p.fail("invalid member name")
				return
			}
			continue
		case '"':
			if i, _ = scanString(data, i); i < 0 {
				p.fail("invalid string")
				return
			}
		case 't':
			if !bytes.HasPrefix(data[i:], []byte("true")) {
				p.fail("invalid literal")
				return
			}
			i += 4
		case 'f':
			if !bytes.HasPrefix(data[i:], []byte("false")) {
				p.fail("invalid literal")
				return
			}
			i += 5
		case 'n':
			if !bytes.HasPrefix(data[i:], []byte("null")) {
				p.fail("invalid literal")
				return
			}
			i += 4
		default:
			if i, _ = scanNumber(data, i); i < 0 {
				p.fail("invalid value")
				return
			}
		}
		// A value ends at i: close the containers it ends.
		for {
			if depth == 0 {
				p.pos = i
				return
			}
			i = spaceEnd(data, i)
			if i >= len(data) {
				p.fail("unexpected end of input")
				return
			}
			d := depth - 1
			object := objects[d>>6]&(uint64(1)<<(d&63)) != 0
			c := data[i]
			if c == ',' {
				i++
				if object {
					if i = memberName(data, i); i < 0 {
						p.fail("invalid member name")
						return
					}
				}
				break
			}
			if object && c == '}' || !object && c == ']' {
				i++
				depth--
				continue
			}
			p.fail("expected ',' or a closing bracket")
			return
		}
	}
}

// skipValid moves past the value at p.pos of data known to be JSON: a
// container to where the framer saw it end, if it did, otherwise by its
// brackets and strings alone; a scalar ends at the first byte that no
// scalar holds, a string at its unescaped closing quote, a container at its
// matching closer. Nesting is bounded as in skip. On bytes that are not
// JSON after all it stops at a wrong place or fails, but stays within data.
func (p *parser) skipValid() {
	data := p.data
	i := spaceEnd(data, p.pos)
	if i >= len(data) {
		p.fail("unexpected end of input")
		return
	}
	switch data[i] {
	case '"':
		i = stringEnd(data, i+1)
	case '{', '[':
		for _, sp := range p.spans[:p.nspans] {
			if sp.start == i && sp.end <= len(data) {
				p.pos = sp.end
				return
			}
		}
		i = containerEnd(data, i)
		if i == -2 {
			p.fail("exceeded max depth")
			return
		}
	case '}', ']', ',', ':':
		p.fail("expected a value")
		return
	default: // a number or a literal
		for i++; i < len(data); i++ {
			if c := data[i]; c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r' {
				break
			}
		}
	}
	if i < 0 {
		p.fail("unexpected end of input")
		return
	}
	p.pos = i
}

// containerEnd returns the index after the closer of the container whose
// opener is data[i] in data known to be JSON, -1 if data ends first and -2
// if it nests deeper than a frame may (see skip).
func containerEnd(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			if i = stringEnd(data, i+1); i < 0 {
				return -1
			}
			i-- // the loop steps past the closing quote
		case '{', '[':
			if depth+2 > maxDepth { // the value's levels and the frame's
				return -2
			}
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// stringEnd returns the index after the closing quote of the string whose
// contents start at data[i], -1 if data ends first. Short strings are
// stepped through byte by byte, longer ones searched.
func stringEnd(data []byte, i int) int {
	for n := 0; i < len(data) && n < 32; i, n = i+1, n+1 {
		switch data[i] {
		case '"':
			return i + 1
		case '\\':
			i++ // the byte it escapes
		}
	}
	for i < len(data) {
		j := indexQuoteOrBackslash(data[i:])
		if j < 0 {
			return -1
		}
		i += j
		if data[i] == '"' {
			return i + 1
		}
		i += 2 // the backslash and the byte it escapes
	}
	return -1
}

// memberName scans a member name and its colon from data[i:] and returns
// the index after the colon, -1 if there are none.
func memberName(data []byte, i int) int {
	i = spaceEnd(data, i)
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	if i, _ = scanString(data, i); i < 0 {
		return -1
	}
	i = spaceEnd(data, i)
	if i >= len(data) || data[i] != ':' {
		return -1
	}
	return i + 1
}

// SpaceEnd returns the index of the first byte at or after i that is not
// JSON whitespace, len(data) if there is none.
func SpaceEnd(data []byte, i int) int { return spaceEnd(data, i) }

func spaceEnd(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString scans the string whose opening quote is data[i] and returns
// the index after its closing quote, -1 if it is not a valid JSON string,
// and whether it holds escapes. Invalid UTF-8 is accepted, as in
// encoding/json.
func scanString(data []byte, i int) (end int, esc bool) {
	i++
	for i < len(data) {
		c := data[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		switch c {
		case '"':
			return i + 1, esc
		case '\\':
			esc = true
			if i+1 >= len(data) {
				return -1, esc
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || hex4(data[i+2:i+6]) < 0 {
					return -1, esc
				}
				i += 6
			default:
				return -1, esc
			}
		default: // a raw control character
			return -1, esc
		}
	}
	return -1, esc
}

// hex4 decodes 4 hex digits, -1 if they are not.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescape appends the contents of a string that scanString accepted,
// escapes decoded, to dst. A \u escape of a lone surrogate decodes to
// U+FFFD, as in encoding/json; raw bytes, valid UTF-8 or not, are kept.
func unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				return append(dst, s[i:]...)
			}
			dst = append(dst, s[i:i+j]...)
			i += j
			continue
		}
		switch e := s[i+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2:])
				}
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					r = pair
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

// scanNumber scans the JSON number starting at data[i] and returns the
// index after it, -1 if there is none, and whether it is written as an
// integer (no fraction, no exponent). Its range is not checked.
func scanNumber(data []byte, i int) (end int, integer bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return -1, false
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i = skipDigits(data, i+1)
	default:
		return -1, false
	}
	integer = true
	if i < len(data) && data[i] == '.' {
		integer = false
		j := skipDigits(data, i+1)
		if j == i+1 {
			return -1, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integer = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := skipDigits(data, i)
		if j == i {
			return -1, false
		}
		i = j
	}
	return i, integer
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// SkipValue returns the index just past the JSON value that starts at
// data[i] (after any whitespace), checking its grammar as ParseRequest
// checks args; -1 when there is no valid value there.
func SkipValue(data []byte, i int) int {
	p := parser{data: data, pos: i}
	p.skip()
	if p.err != "" {
		return -1
	}
	return p.pos
}
