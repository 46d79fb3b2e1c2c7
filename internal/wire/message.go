package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error messages about what a peer sent. They are valid UTF-8 without
// control characters, whatever came, so that they can be logged, grepped
// and shown as text; they say what was expected and what came, and never
// show the codec's internals (its function names, its dump of the input).

// maxShown is how many bytes of a value a message shows.
const maxShown = 64

// DecodeValueError words the failure err of decoding raw, one JSON value,
// into a value of type t: `want int, got string "42"`. err is the codec's
// or encoding/json's; as the codec's errors name neither type nor value,
// raw is decoded again with encoding/json to learn them (on the error path
// only). A mismatch inside the value names where it is: `want int at
// X, got string, in object {"X":"a"}`. Any other error, such as one a
// type's UnmarshalJSON returned, is given with its bytes made printable,
// then the value: `illegal base64 data at input byte 4, in string "three"`.
func DecodeValueError(t reflect.Type, raw []byte, err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) && t != nil {
		if jerr := json.Unmarshal(raw, reflect.New(t).Interface()); jerr != nil {
			err = jerr
		}
	}
	if !errors.As(err, &te) || te.Type == nil {
		return DecodeError(err) + ", in " + shown(raw)
	}
	got := kindOf(raw)
	if te.Field == "" && strings.HasPrefix(te.Value, got) {
		return fmt.Sprintf("want %v, got %s", te.Type, shown(raw))
	}
	at := ""
	if te.Field != "" {
		at = " at " + te.Field
	}
	return fmt.Sprintf("want %v%s, got %s, in %s", te.Type, at, clip(te.Value), shown(raw))
}

// DecodeElemError is DecodeValueError for element i of array, a JSON
// array: the results of a reply, the arguments of a call.
func DecodeElemError(t reflect.Type, array []byte, i int, err error) string {
	var elems []json.RawMessage
	if json.Unmarshal(array, &elems) != nil || i < 0 || i >= len(elems) {
		return DecodeError(err)
	}
	return DecodeValueError(t, elems[i], err)
}

// DecodeError returns the message of a decode error, the codec's or
// encoding/json's, as clean text: the codec's dump of the input and the
// names of its functions are left out, and bytes that are not valid UTF-8
// or are control characters are escaped (\xff, \n).
func DecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil {
		at := ""
		if te.Field != "" {
			at = " at " + te.Field
		}
		return fmt.Sprintf("want %v%s, got %s", te.Type, at, clip(te.Value))
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if i := strings.Index(msg, ", error found in #"); i >= 0 {
		msg = msg[:i]
	}
	return clip(withoutOperations(msg))
}

// codecOperation is a name the codec puts before its messages, "ReadArray:"
// or "decode slice:", and the type and field it adds for a struct member,
// "main.T.X:" or "[]int:".
var codecOperation = regexp.MustCompile(`^(?:(?:decode|struct) [A-Za-z ]+|[\w.*\[\]]+): `)

// withoutOperations drops the codec's operation names from the start of
// msg, keeping what it says went wrong.
func withoutOperations(msg string) string {
	for {
		loc := codecOperation.FindStringIndex(msg)
		if loc == nil || loc[1] == len(msg) {
			return msg
		}
		msg = msg[loc[1]:]
	}
}

// kindOf is the JSON kind of raw: object, array, string, number, bool
// (true or false) or null, as encoding/json names them.
func kindOf(raw []byte) string {
	i := spaceEnd(raw, 0)
	if i == len(raw) {
		return "nothing"
	}
	switch raw[i] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// shown is raw for a message: its kind and the value as written, unless it
// is null, cut to maxShown bytes and made printable: `string "42"`,
// `number 1.5`, `array [1,2,3,4,...] (300 bytes)`.
func shown(raw []byte) string {
	kind := kindOf(raw)
	if kind == "null" || kind == "nothing" {
		return kind
	}
	return kind + " " + Clip(raw)
}

// Clip returns data that came from a peer, for a message: cut to maxShown
// bytes with its size then said, invalid UTF-8 and control characters
// escaped.
func Clip(data []byte) string {
	if len(data) <= maxShown {
		return Printable(string(data), false)
	}
	cut := maxShown
	for cut > maxShown-utf8.UTFMax && !utf8.RuneStart(data[cut]) {
		cut-- // keep a rune whole, when it is one
	}
	return fmt.Sprintf("%s... (%d bytes)", Printable(string(data[:cut]), false), len(data))
}

func clip(s string) string { return Clip([]byte(s)) }

// Printable returns s as it is when it is valid UTF-8 without control
// characters (below 0x20, and 0x7f). Otherwise, when quote is true, s is
// quoted by strconv.Quote, so that a name a peer sent shows exactly what it
// was: "fa\xffults"; when quote is false, only the offending bytes are
// escaped as strconv.Quote escapes them (\xff, \n, \x01).
func Printable(s string, quote bool) string {
	if clean(s) {
		return s
	}
	if quote {
		return strconv.Quote(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20:
			q := strconv.QuoteRune(r) // '\n', '\x01'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// clean reports whether s is valid UTF-8 without control characters.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}
