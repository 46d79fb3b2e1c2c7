package input

import (
	"fmt"
	"testing"

	"github.com/hostcall/hostcall/service"
)

// TestHostileHostResync: a malformed response (PROTOCOL.md section 5,
// resynchronisation) fails only the call it names, with ErrBadReply; the
// responses written after it, in the same write, reach their calls.
// Issue 10: they were swallowed into the malformed frame and never arrived.
func TestHostileHostResync(t *testing.T) {
	tried := map[string]int{}
	tests := []struct {
		name string
		bad  string // the first call's answer, %d its sequence
		sep  string // after each answer
	}{
		{"'}' closing an array, a newline", `{"sequence":%d,"reply":[1,}` + "\n", "\n"},
		{"an unclosed string, a newline", `{"sequence":%d,"reply":["ab` + "\n", "\n"},
		{"']' closing an object, back to back", `{"sequence":%d,"reply":{"a":1]}`, ""},
		{"a control character in a string, spaces", `{"sequence": %d, "error": "a` + "\x02" + `b"} `, " "},
		{"sequence twice", `{"sequence":%d,"reply":[3],"sequence":1}` + "\n", "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostile(t, tried)
			c := h.consumers()
			reqs := make([]request, 6)
			chs := make([]<-chan result, 6)
			for i := range reqs {
				reqs[i], chs[i] = h.start(c.addCall(i, 10))
			}
			text := tt.bad
			for i := 1; i < len(reqs); i++ {
				text += fmt.Sprintf(`{"sequence":%d,"reply":[%d]}`, reqs[i].Sequence, i+10) + tt.sep
			}
			h.write("resync", reqs[0].Sequence, text)
			wantError(t, h.wait(chs[0], "the malformed answer's call"), service.ErrBadReply, "the malformed answer's call")
			for i := 1; i < len(reqs); i++ {
				wantValue(t, h.wait(chs[i], fmt.Sprintf("call %d", i)), i+10, fmt.Sprintf("call %d after the malformed answer", i))
			}
		})
	}
}
