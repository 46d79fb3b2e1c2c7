package wire

import (
	"strconv"
	"unicode/utf8"
)

// AppendRequest appends req to dst as one compact frame with sequence first,
// blobs (when present) second, and a terminating newline.
func AppendRequest(dst []byte, req *Request) []byte {
	dst = appendHead(dst, req.Sequence, req.Blobs)
	dst = append(dst, `,"type":`...)
	dst = AppendString(dst, req.Type)
	if req.Callback != 0 {
		dst = append(dst, `,"callback":`...)
		dst = strconv.AppendUint(dst, req.Callback, 10)
	}
	if req.Namespace != "" {
		dst = append(dst, `,"namespace":`...)
		dst = AppendString(dst, req.Namespace)
	}
	if req.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = AppendString(dst, req.Name)
	}
	if len(req.Args) > 0 { // an empty, non-nil Args would make invalid JSON
		dst = append(dst, `,"args":`...)
		dst = append(dst, req.Args...)
	}
	if req.Timeout != 0 {
		dst = append(dst, `,"timeout":`...)
		dst = strconv.AppendInt(dst, req.Timeout, 10)
	}
	return append(dst, "}\n"...)
}

// AppendResponse appends resp to dst as one compact frame with sequence
// first, blobs (when present) second, and a terminating newline.
func AppendResponse(dst []byte, resp *Response) []byte {
	dst = appendHead(dst, resp.Sequence, resp.Blobs)
	if resp.More {
		dst = append(dst, `,"more":true`...)
	}
	if len(resp.Reply) > 0 { // an empty, non-nil Reply would make invalid JSON
		dst = append(dst, `,"reply":`...)
		dst = append(dst, resp.Reply...)
	}
	if len(resp.Services) > 0 {
		dst = append(dst, `,"services":[`...)
		for i, s := range resp.Services {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, s)
		}
		dst = append(dst, ']')
	}
	if resp.OK {
		dst = append(dst, `,"ok":true`...)
	}
	if resp.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = AppendString(dst, resp.Error)
	}
	if resp.Code != "" {
		dst = append(dst, `,"code":`...)
		dst = AppendString(dst, resp.Code)
	}
	if len(resp.Detail) > 0 {
		dst = append(dst, `,"detail":`...)
		dst = append(dst, resp.Detail...)
	}
	return append(dst, "}\n"...)
}

func appendHead(dst []byte, seq uint64, blobs []int64) []byte {
	dst = append(dst, `{"sequence":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	if len(blobs) > 0 {
		dst = append(dst, `,"blobs":[`...)
		for i, n := range blobs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendInt(dst, n, 10)
		}
		dst = append(dst, ']')
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string the way encoding/json does with
// HTML escaping off: control characters, U+2028 and U+2029 are escaped and
// each byte of invalid UTF-8 becomes U+FFFD, so the result is always valid
// JSON on one line.
func AppendString(dst []byte, s string) []byte {
	return appendQuoted(dst, s, &plainSafe, true)
}

// AppendStringHTML appends s as a JSON string the way the codec (wire.JSON)
// does: as AppendString, but with <, > and & escaped too, so that the JSON
// is safe inside HTML, and \b and \f written as \u0008 and \u000c.
func AppendStringHTML(dst []byte, s string) []byte {
	return appendQuoted(dst, s, &htmlSafe, false)
}

// The ASCII bytes a string carries as they are: printable, but for the
// quote and the backslash, and for htmlSafe <, > and & too.
var plainSafe, htmlSafe = func() (plain, html [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return plain, html
}()

// appendQuoted appends s as a JSON string: the ASCII bytes safe holds as
// they are, \" \\ \n \r \t (and \b \f with shortBF) as short escapes,
// the other ASCII bytes as \u00XX, U+2028 and U+2029 as \u2028 and
// \u2029, and each byte of invalid UTF-8 as \ufffd.
func appendQuoted(dst []byte, s string, safe *[utf8.RuneSelf]bool, shortBF bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b' && shortBF:
				dst = append(dst, '\\', 'b')
			case c == '\f' && shortBF:
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
