package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Issue 11: every error message that the host sends and that the client
// returns for bad input is valid UTF-8 without control characters, so that
// it can be logged, grepped and shown as text whatever the peer sent.

// messageFault says what makes msg unfit as an error message, "" if
// nothing: invalid UTF-8, or a control character (below 0x20, or 0x7f).
func messageFault(msg string) string {
	if !utf8.ValidString(msg) {
		return fmt.Sprintf("invalid UTF-8 in %q", msg)
	}
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c < 0x20 || c == 0x7f {
			return fmt.Sprintf("control character %#02x at byte %d of %q", c, i, msg)
		}
	}
	return ""
}

// hostMessageFault checks the error message of a response line as the
// host wrote it. The host's encoder writes the bytes of a message that are
// not UTF-8 as \ufffd escapes, and its control characters as \u00XX
// escapes, so both are looked for in the member as written and in the
// decoded text.
func hostMessageFault(line []byte) string {
	var raw struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(line, &raw) != nil || raw.Error == nil {
		return ""
	}
	if bytes.Contains(raw.Error, []byte(`\ufffd`)) {
		return fmt.Sprintf("invalid UTF-8, sent as \\ufffd, in %s", raw.Error)
	}
	var msg string
	if json.Unmarshal(raw.Error, &msg) != nil {
		return ""
	}
	return messageFault(msg)
}
