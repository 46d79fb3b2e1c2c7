package serving

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestResyncAfterMalformedRequest: a malformed request (PROTOCOL.md
// section 5, resynchronisation) costs that request only: it is answered
// bad_request (or dropped when its sequence comes after the byte that
// proves it malformed) and the five calls written after it, in the same
// write, are all served.
func TestResyncAfterMalformedRequest(t *testing.T) {
	tests := []struct {
		name string
		bad  string // %d: its sequence
		sep  string // after each valid call
		want string // the answer to the bad frame, "" if dropped
	}{
		{"'}' closing an array, a newline", `{"sequence":%d,"type":"call","namespace":"p","name":"add","args":[1,}` + "\n", "\n",
			`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 67: '}' where a value must start","code":"bad_request"}`},
		{"a string left open, a newline", `{"sequence":%d,"type":"call","namespace":"p","name":"ec` + "\n", "\n",
			`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 54: raw control character '\\n' in a string","code":"bad_request"}`},
		{"']' closing an object, back to back", `{"sequence":%d,"type":"call","namespace":"p","name":"add","args":{"a":1]}`, "",
			`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 70: ']' does not close the open object","code":"bad_request"}`},
		{"a control character in a string, spaces", "{\"sequence\": %d, \"type\": \"call\", \"namespace\": \"p\x02\", \"name\": \"add\"} ", " ",
			`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 47: raw control character '\\x02' in a string","code":"bad_request"}`},
		{"a frame left open, then the next frame", `{"sequence":%d,"type":"call","namespace":"p","name":"add","args":[1,2]` + "\n", "\n",
			`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 70: '{' where ',' or the object's closer must follow a value","code":"bad_request"}`},
		{"the sequence after the proving byte: dropped", `{"type":"call","namespace":"p","name":"add","args":[1,},"sequence":%d}` + "\n", "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startPlugin(t, runOptions{}, true)
			bad := h.nextSeq()
			text := seqd(tt.bad, bad)
			var wants []string
			if tt.want != "" {
				wants = append(wants, seqd(tt.want, bad))
			}
			for i := 0; i < 5; i++ {
				seq := h.nextSeq()
				text += strings.TrimSuffix(call(seq, "add", fmt.Sprintf("[%d,%d]", seq, 100*i)), "\n") + tt.sep
				wants = append(wants, reply(seq, fmt.Sprintf("[%d]", seq+uint64(100*i))))
			}
			h.send(text)
			h.expectSet("a malformed frame and five calls after it", wants...)
			h.valid("the resynchronisation")
			if rep := h.finish(ending{}); rep.Started != 6 {
				t.Errorf("the plugin ran %d services, want 6: the five calls and the valid one", rep.Started)
			}
		})
	}
}

// TestDuplicateSequences: a request reusing the sequence of a call in
// flight is refused without touching that call; once the call is over
// (here canceled), its sequence may be used again.
func TestDuplicateSequences(t *testing.T) {
	h := startPlugin(t, runOptions{}, true)
	s := h.nextSeq()
	inFlight := func(what string) string {
		return refusal(s, "bad_request", fmt.Sprintf("sequence %d is already in flight%s: sequences must not be reused", s, what))
	}
	h.send(call(s, "sleep", "[]"))
	h.send(call(s, "add", "[1,2]"))
	h.expect("a call reusing the sequence of a call in flight", inFlight(" (p.add)"))
	h.send(strings.TrimSuffix(call(s, "echo", `["x"]`), "\n")) // no separator before the next frame
	h.send(call(s, "add", "[1,2]"))
	h.expect("the same, back to back", inFlight(" (p.echo)"))
	h.expect("the same, back to back", inFlight(" (p.add)"))
	for _, typ := range []string{"hasNamespace", "getManifest", "listServices", "hello"} {
		h.send(fmt.Sprintf(`{"sequence":%d,"type":"%s","namespace":"p"}`+"\n", s, typ))
		h.expect("a "+typ+" reusing the sequence of a call in flight", inFlight(""))
	}
	h.send(fmt.Sprintf(`{"sequence":%d,"reply":[1]}`+"\n", s))
	h.valid("a response-shaped frame with the sequence of a call in flight: a late answer, dropped")

	h.send(fmt.Sprintf(`{"sequence":%d,"type":"cancel"}`+"\n", s))
	// The service's own error, its code from its context.
	h.expect("the call in flight, canceled", refusal(s, "canceled", "context canceled"))
	h.send(fmt.Sprintf(`{"sequence":%d,"type":"cancel"}`+"\n", s))
	h.valid("a second cancel of a finished call (no answer of its own)")
	h.send(call(s, "add", "[40,2]"))
	h.expect("the sequence of the canceled call, reused", reply(s, "[42]"))
	h.send(call(s, "add", "[41,2]"))
	h.expect("the same sequence again, once answered", reply(s, "[43]"))
	h.send(fmt.Sprintf(`{"sequence":%d,"type":"cancel"}`+"\n", s))
	h.valid("a cancel of a call answered already")

	rep := h.finish(ending{})
	if !slices.Equal(rep.Ends, []string{"context canceled"}) {
		t.Errorf("p.sleep ended %q, want once, canceled by the host", rep.Ends)
	}
	if want := int64(1 + 2 + 3); rep.Started != want { // sleep, the reused adds, the valid calls
		t.Errorf("the plugin ran %d services, want %d: a refused duplicate must not run one", rep.Started, want)
	}
}
