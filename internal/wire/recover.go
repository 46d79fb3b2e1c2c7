package wire

import (
	"encoding/json"
	"strconv"
)

// Recovered is what could be read from the top-level members of a frame that
// does not parse, or of the head of a frame too large to keep.
type Recovered struct {
	Sequence    uint64
	HasSequence bool
	Blobs       []int64
	HasBlobs    bool
}

// Recover reads the sequence and blobs members from the start of a frame,
// tolerating invalid JSON elsewhere in it and a frame cut short. It walks
// the top-level members in order and stops at the first it cannot make sense
// of, so members placed first (as senders of this protocol do) are found
// even in a frame that is otherwise garbage.
func Recover(b []byte) Recovered {
	var rec Recovered
	i := spaceEnd(b, 0)
	if i >= len(b) || b[i] != '{' {
		return rec
	}
	i++
	for {
		i = spaceEnd(b, i)
		key, next, ok := readKey(b, i)
		if !ok {
			return rec
		}
		i = spaceEnd(b, next)
		if i >= len(b) || b[i] != ':' {
			return rec
		}
		i = spaceEnd(b, i+1)
		// The first of duplicate members counts: what the head of a frame
		// recovers, the whole frame recovers too.
		switch {
		case key == "sequence" && !rec.HasSequence:
			if v, n, ok := readUintToken(b, i); ok {
				rec.Sequence, rec.HasSequence = v, true
				i = n
			}
		case key == "blobs" && !rec.HasBlobs:
			if v, n, ok := readLengths(b, i); ok {
				rec.Blobs, rec.HasBlobs = v, true
				i = n
			}
		}
		if rec.HasSequence && rec.HasBlobs {
			return rec
		}
		var s objectScan
		i = skipValue(b, i, &s)
		if i < 0 {
			return rec
		}
		i = spaceEnd(b, i)
		if i >= len(b) || b[i] != ',' {
			return rec
		}
		i++
	}
}

// readKey reads a member name, decoding its escapes as a JSON parser does
// (a name with an invalid escape is returned as written, which matches no
// member recovered here).
func readKey(b []byte, i int) (string, int, bool) {
	end, escaped := skipString(b, i)
	if end < 0 {
		return "", 0, false
	}
	if escaped {
		var key string
		if json.Unmarshal(b[i:end], &key) == nil {
			return key, end, true
		}
	}
	return string(b[i+1 : end-1]), end, true
}

// skipString returns the offset just past the string starting at i, or -1
// when b does not hold all of it, and whether the string has escapes.
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return -1, false
	}
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return -1, false
}

// readUintToken reads a JSON number that is a uint64 and is followed by a
// byte that ends a value. A number that is not an integer (12.5, 1e3), has
// leading zeros, overflows or runs to the end of b (it may go on past a cut:
// "sequence":12 cut to "sequence":1) is not read.
func readUintToken(b []byte, i int) (uint64, int, bool) {
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == i || j == len(b) {
		return 0, 0, false
	}
	switch b[j] {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
	default:
		return 0, 0, false
	}
	if b[i] == '0' && j > i+1 {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(b[i:j]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return v, j, true
}

func readLengths(b []byte, i int) ([]int64, int, bool) {
	if i >= len(b) || b[i] != '[' {
		return nil, 0, false
	}
	var out []int64
	i = spaceEnd(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, true
	}
	for {
		v, n, ok := readUintToken(b, spaceEnd(b, i))
		if !ok || v > 1<<62 {
			return nil, 0, false
		}
		out = append(out, int64(v))
		i = spaceEnd(b, n)
		if i >= len(b) {
			return nil, 0, false
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return out, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// skipValue skips one value starting at i and returns the offset after it,
// or -1 when b ends first or an object or array in it is malformed.
func skipValue(b []byte, i int, s *objectScan) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '{', '[':
		if end, done := s.scan(b[i:]); done && s.why == "" {
			return i + end
		}
		return -1 // cut short, or not JSON
	case '"':
		end, _ := skipString(b, i)
		return end
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
	}
	return -1
}
