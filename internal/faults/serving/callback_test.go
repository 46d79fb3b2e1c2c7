package serving

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// expectRequest reads the plugin's next request and checks it is exactly
// want.
func (h *hostile) expectRequest(what, want string) *frame {
	h.t.Helper()
	f := h.next("request", what)
	if f.raw != want {
		h.t.Errorf("%s: the plugin sent\n\t%s\nwant\n\t%s", what, f.raw, want)
	}
	return f
}

// expectTimedCall reads the plugin's next request, a call of h.add with
// args and a timeout of at most max, and returns its sequence.
func (h *hostile) expectTimedCall(what string, seq uint64, args string, max time.Duration) {
	h.t.Helper()
	f := h.next("request", what)
	prefix := fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"h","name":"add","args":%s,"timeout":`, seq, args)
	if !strings.HasPrefix(f.raw, prefix) || f.msg.Timeout <= 0 || f.msg.Timeout > int64(max) {
		h.t.Errorf("%s: the plugin sent\n\t%s\nwant\n\t%s<1 to %d>}", what, f.raw, prefix, max)
	}
}

// TestCallbacksWhileServing: services that call the host while they serve
// its call. The two sequence spaces are independent: the host's call 3 and
// the plugin's call 3 are in flight at once, a request of the host's with
// the sequence of the plugin's pending call is the host's request, and a
// response goes to the plugin's call it names. The plugin's calls end with
// the host's call that made them: canceled, or at its deadline, whatever
// the host does; their late answers are dropped, never answered.
func TestCallbacksWhileServing(t *testing.T) {
	h := startPlugin(t, runOptions{}, true)
	h.valid("the start")
	h.valid("the start") // the host's next sequence is 3, as is the plugin's

	cb := h.nextSeq()
	h.send(call(cb, "callback", "[5,0]"))
	h.expectRequest("the plugin's call, inside the host's", `{"sequence":3,"type":"call","namespace":"h","name":"add","args":[5,1]}`)
	h.send(`{"sequence":3,"type":"hasNamespace","namespace":"p"}` + "\n")
	h.expect("a request of the host's reusing its sequence in flight, 3",
		refusal(3, "bad_request", "sequence 3 is already in flight: sequences must not be reused"))
	h.send(`{"sequence":3,"reply":[6]}` + "\n") // the plugin's call 3 answered
	h.expect("the host's call 3, once the plugin's call 3 is answered", reply(3, "[6]"))

	h.valid("the first callback") // 4: the plugin's next call is 4, the host's 4 is over
	cb = h.nextSeq()
	h.send(call(cb, "callback", "[7,0]"))
	h.expectRequest("the plugin's second call", `{"sequence":4,"type":"call","namespace":"h","name":"add","args":[7,1]}`)
	h.send(call(4, "add", "[2,2]"))
	h.expect("a request of the host's with the sequence of the plugin's pending call", reply(4, "[4]"))
	h.send(`{"sequence":4,"type":"cancel"}` + "\n") // the host's 4 is over: nothing to cancel
	h.valid("a cancel of the host's call 4 while the plugin's call 4 is pending")
	h.send(`{"sequence":4,"error":"no","code":"service_error"}` + "\n")
	h.expect("the host's call, its callback failed by the host", refusal(cb, "service_error", "service h.add: no"))

	cb = h.nextSeq()
	h.send(call(cb, "callback", "[1,0]"))
	h.expectRequest("the plugin's third call", `{"sequence":5,"type":"call","namespace":"h","name":"add","args":[1,1]}`)
	h.send(fmt.Sprintf(`{"sequence":%d,"type":"cancel"}`+"\n", cb))
	h.expectRequest("the plugin's cancel of its call, when the host's call that made it is canceled", `{"sequence":5,"type":"cancel"}`)
	h.expect("the host's canceled call", refusal(cb, "canceled", "service h.add: call 5 abandoned: context canceled (call canceled)"))
	// The answer an honest host sends to the canceled call: dropped. Were it
	// answered bad_request, the host, which serves too, would answer that
	// frame without a type in turn, and so on forever.
	h.send(`{"sequence":5,"error":"context canceled","code":"canceled"}` + "\n")
	h.valid("the host's answer to the plugin's canceled call")

	cb = h.nextSeq()
	h.send(call(cb, "callback", "[1,200]"))
	h.expectTimedCall("the plugin's call with a deadline of its own", 6, "[1,1]", 200*time.Millisecond)
	// The service returns its call's error, a deadline's: its code says so
	// (wire.CodeOf), though the host's call had no deadline.
	h.expect("the host's call, its callback past its deadline (no cancel: the timeout travelled)",
		refusal(cb, "deadline_exceeded", "service h.add: call 6 abandoned: context deadline exceeded (call deadline exceeded)"))
	h.send(`{"sequence":6,"reply":[2]}` + "\n")
	h.valid("the host's late answer to the plugin's call past its deadline")

	cb = h.nextSeq()
	h.send(fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"p","name":"callback","args":[1,0],"timeout":200000000}`+"\n", cb))
	h.expectTimedCall("the plugin's call under the host's call's timeout", 7, "[1,1]", 200*time.Millisecond)
	h.expect("the host's call past its timeout",
		refusal(cb, "deadline_exceeded", "service h.add: call 7 abandoned: context deadline exceeded (call deadline exceeded)"))
	h.send(`{"sequence":7,"error":"context deadline exceeded","code":"deadline_exceeded"}` + "\n")
	h.valid("the callbacks and the host's late answers")

	rep := h.finish(ending{})
	want := []string{"ok 6", "service h.add: no",
		"service h.add: call 5 abandoned: context canceled (call canceled)",
		"service h.add: call 6 abandoned: context deadline exceeded (call deadline exceeded)",
		"service h.add: call 7 abandoned: context deadline exceeded (call deadline exceeded)"}
	if strings.Join(rep.Callbacks, "\n") != strings.Join(want, "\n") {
		t.Errorf("the plugin's calls to the host ended\n\t%s\nwant\n\t%s", strings.Join(rep.Callbacks, "\n\t"), strings.Join(want, "\n\t"))
	}
}
