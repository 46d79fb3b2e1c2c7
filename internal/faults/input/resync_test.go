package input

import (
	"fmt"
	"strings"
)

// resyncSteps are malformed frames (PROTOCOL.md section 5, resynchronisation)
// each written in one piece with five valid calls after it: the host must cut
// the malformed frame at the byte that proves it, answer it bad_request when
// its sequence comes first (drop it otherwise), and serve all five calls.
// Issue 10: the framer kept one depth counter, so the five calls were
// swallowed into the malformed frame and never answered.
func resyncSteps() []step {
	line := func(seq uint64) string { // protocol 2 style
		return fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[%d,1]}`+"\n", seq, seq%1000)
	}
	glued := func(seq uint64) string { // no separator
		return strings.TrimSuffix(line(seq), "\n")
	}
	p1 := func(seq uint64) string { // protocol 1 style: spaces, sequence last, no separator
		return fmt.Sprintf(`{"type": "call", "namespace": "faults", "name": "add", "args": [%d, 1], "sequence": %d}`, seq%1000, seq)
	}
	head := `{"sequence":%d,"type":"call","namespace":"faults","name":`
	return []step{
		{kind: "resync", what: "'}' closing an array, a newline, five calls (issue 10)",
			run: resyncRun(head+`"add","args":[1,}`+"\n", line, true)},
		{kind: "resync", what: "an unclosed string, a newline, five calls (issue 10)",
			run: resyncRun(head+`"ad`+"\n", line, true)},
		{kind: "resync", what: "']' closing an object, a newline, five calls",
			run: resyncRun(head+`"add","args":{"a":1]}`+"\n", line, true)},
		{kind: "resync", what: "'}' closing an array, five calls back to back, no newline",
			run: resyncRun(head+`"add","args":[1,2}}`, glued, true)},
		{kind: "resync", what: "a raw newline inside a string, the rest of the frame, five calls",
			run: resyncRun(head+`"a`+"\n"+`dd","args":[1,2]}`+"\n", line, true)},
		{kind: "resync", what: "a frame left open, then five calls, one a line",
			run: resyncRun(head+`"add","args":[1,2]`+"\n", line, true)},
		{kind: "resync", what: "protocol 1 style: '}' closing an array, sequence last, five calls back to back",
			run: resyncRun(`{"type": "call", "namespace": "faults", "name": "add", "args": [1, }, "sequence": %d}`, p1, false)},
		{kind: "resync", what: "protocol 1 style: a control character in a string, spaces, five calls back to back",
			run: resyncRun(`{"type": "call", "namespace": "faults", "name": "ad`+"\x01"+`", "args": [1, 2], "sequence": %d} `, func(seq uint64) string { return p1(seq) + " " }, false)},
	}
}

// resyncRun writes bad (with %d as its sequence) and five calls made by
// call, in one write, then checks the answers, in any order: the bad frame's
// (bad_request when recoverable, else dropped) and each call's.
func resyncRun(bad string, call func(seq uint64) string, recoverable bool) func(d *driver, what string) {
	return func(d *driver, what string) {
		badSeq := d.next()
		text := strings.ReplaceAll(bad, "%d", fmt.Sprint(badSeq))
		want := map[uint64]string{} // sequence: reply, "" for the bad frame
		for range 5 {
			seq := d.next()
			text += call(seq)
			want[seq] = fmt.Sprintf("[%d]", seq%1000+1)
		}
		if d.write(text) != nil {
			return
		}
		if recoverable {
			want[badSeq] = ""
		} else {
			d.expect(badSeq, dropped(), what)
		}
		for len(want) > 0 {
			r := d.read(what)
			if r == nil {
				d.failf("%s: %d answers missing", what, len(want))
				return
			}
			reply, ok := want[*r.Sequence]
			delete(want, *r.Sequence)
			switch {
			case !ok:
				d.failf("%s: unexpected response %s", what, clip(d.last))
			case reply == "":
				if r.Code != "bad_request" || !strings.Contains(r.Error, "invalid request frame") {
					d.failf("%s: the malformed frame got %s, want code bad_request", what, r)
					continue
				}
				d.tally.Outcomes["bad_request"]++
			case r.Error != "" || !jsonEqual(r.Reply, reply):
				d.failf("%s: call %d got %s, want reply %s", what, *r.Sequence, r, reply)
			default:
				d.tally.Invoked++
			}
		}
	}
}
