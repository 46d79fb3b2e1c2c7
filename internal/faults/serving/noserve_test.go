package serving

import (
	"fmt"
	"testing"
	"time"
)

// notServing is the answer of a plugin that does not serve to any request
// (PROTOCOL.md section 6).
func notServing(seq uint64, typ string) string {
	return refusal(seq, "bad_request", fmt.Sprintf("this plugin serves no requests (got %q)", typ))
}

// requestTypes are a request of each type, %d its sequence.
var requestTypes = []struct{ typ, frame string }{
	{"call", `{"sequence":%d,"type":"call","namespace":"p","name":"add","args":[1,2]}`},
	{"hasNamespace", `{"sequence":%d,"type":"hasNamespace","namespace":"p"}`},
	{"getManifest", `{"sequence":%d,"type":"getManifest","namespace":"p"}`},
	{"listServices", `{"sequence":%d,"type":"listServices","namespace":"p"}`},
	{"hello", `{"sequence":%d,"type":"hello","args":{"protocol":2,"features":["serve"],"maxFrame":1024}}`},
	{"launch", `{"sequence":%d,"type":"launch","namespace":"p"}`},
}

// TestPluginThatDoesNotServe: a plugin that never called Serve answers
// every request bad_request, drops response-shaped frames that match none
// of its calls, and its own call to the host is not disturbed by requests
// that reuse its sequence (the two sequence spaces are independent).
func TestPluginThatDoesNotServe(t *testing.T) {
	h := startPlugin(t, runOptions{args: []string{"mode=" + modeNoServe}}, false)
	wait := h.next("request", "the plugin's call")
	if want := `{"sequence":2,"type":"call","namespace":"h","name":"wait","args":[]}`; wait.raw != want {
		t.Fatalf("the plugin's call is %s, want %s", wait.raw, want)
	}
	for _, rt := range requestTypes {
		seq := h.nextSeq()
		h.send(seqd(rt.frame, seq) + "\n")
		h.expect("a "+rt.typ+" to a plugin that does not serve", notServing(seq, rt.typ))
	}
	// A cancel has no response of its own, and a plugin that does not
	// serve may still have lent callbacks or streams, which a cancel
	// stops: it is taken, never answered; the next answer is the next
	// request's.
	h.send(`{"sequence":99,"type":"cancel"}` + "\n")
	seq := h.nextSeq()
	h.send(seqd(requestTypes[1].frame, seq) + "\n")
	h.expect("a request after a cancel", notServing(seq, "hasNamespace"))
	// The plugin's own call is 2: a request of the host's with that
	// sequence is a request all the same, not the call's answer.
	h.send(seqd(requestTypes[0].frame, 2) + "\n")
	h.expect("a call with the sequence of the plugin's own call", notServing(2, "call"))
	// Response-shaped frames that match no call of the plugin's: dropped;
	// the next answer is the next request's.
	h.send(`{"sequence":77,"reply":[3]}` + "\n" + `{"sequence":78,"error":"x","code":"panic"}` + "\n" + `{"reply":[1]}` + "\n")
	h.send(`{"sequence":79,"type":"call","namespace":"p","name":"add","args":[1,,2]}` + "\n") // malformed: dropped too
	seq = h.nextSeq()
	h.send(seqd(requestTypes[1].frame, seq) + "\n")
	h.expect("a request after frames to drop", notServing(seq, "hasNamespace"))
	h.send(`{"sequence":2,"reply":[]}` + "\n") // the plugin's call answered: it leaves
	rep := h.finish(ending{noServe: true})
	if rep.CallErr != "" {
		t.Errorf("the plugin's own call failed: %s", rep.CallErr)
	}
	if rep.Started != 0 {
		t.Errorf("the plugin ran %d services, want none", rep.Started)
	}
}

// TestRequestsBeforeServing: requests that arrive before the plugin's
// hello lists "serve" (the host must not send them) are refused as by a
// plugin that does not serve; once it serves, they are served.
func TestRequestsBeforeServing(t *testing.T) {
	h := startPlugin(t, runOptions{args: []string{"mode=" + modeLate}}, false)
	ready := h.next("request", "the plugin's call")
	if want := `{"sequence":2,"type":"call","namespace":"h","name":"ready","args":[]}`; ready.raw != want {
		t.Fatalf("the plugin's call is %s, want %s", ready.raw, want)
	}
	for _, rt := range requestTypes {
		seq := h.nextSeq()
		h.send(seqd(rt.frame, seq) + "\n")
		h.expect("a "+rt.typ+" before the plugin serves", notServing(seq, rt.typ))
	}
	h.send(`{"sequence":2,"reply":[]}` + "\n") // the plugin goes on to Serve
	hello := h.next("hello", "the plugin's hello as it serves")
	if want := pluginHello(3, true, 64<<20); hello.raw != want {
		t.Fatalf("the plugin's hello as it serves is %s, want %s", hello.raw, want)
	}
	h.send(h.hostHello(3))
	h.valid("the plugin's hello listing serve")
	seq := h.nextSeq()
	h.send(call(seq, "echo", `["now"]`))
	h.expect("a call once the plugin serves", reply(seq, `["now"]`))
	rep := h.finish(ending{})
	if rep.CallErr != "" {
		t.Errorf("the plugin's own call failed: %s", rep.CallErr)
	}
	if rep.Started != 2 {
		t.Errorf("the plugin ran %d services, want 2: the refused calls must not run", rep.Started)
	}
}

// TestPluginThatStoppedServing: a plugin whose Serve ended (its context
// canceled, here by its own service p.stop) answers the calls running then
// unavailable and the others as they finish, then ends the connection: the
// host reads the end of the stream while the plugin still runs, instead of
// waiting forever for answers to what it sends next.
func TestPluginThatStoppedServing(t *testing.T) {
	h := startPlugin(t, runOptions{args: []string{"mode=" + modeStop}}, true)
	sleep, stop := h.nextSeq(), h.nextSeq()
	h.send(call(sleep, "sleep", "[]"))
	h.send(call(stop, "stop", "[]"))
	h.expectSet("the calls running when Serve stopped",
		reply(stop, "[]"), refusal(sleep, "unavailable", "context canceled"))
	// Never answered: the plugin no longer serves. It may have closed its
	// input already (the write then fails: no matter).
	h.w.SetWriteDeadline(time.Now().Add(watchdog))
	h.w.WriteString(call(h.nextSeq(), "add", "[1,2]"))
	h.awaitEnd("the plugin stopped serving")
	h.control("exit")
	rep := h.finish(ending{serveErr: "context canceled", keepWriting: true})
	if len(rep.Ends) != 1 || rep.Ends[0] != "shutting down" {
		t.Errorf("p.sleep ended %q, want once, by the shutdown", rep.Ends)
	}
}

// awaitEnd waits for the end of the plugin's stream: any frame before it
// is one the test did not expect.
func (h *hostile) awaitEnd(what string) {
	h.t.Helper()
	for {
		select {
		case f, ok := <-h.frames:
			if !ok {
				h.t.Fatalf("%s: the stream's end was read already", what)
			}
			if f.class == "end" {
				h.ended = fmt.Errorf("%s", f.raw)
				return
			}
			h.t.Errorf("%s: a frame the test did not expect: %s", what, f.raw)
		case <-time.After(watchdog):
			h.t.Fatalf("%s: the plugin's stream has not ended within %v: the host would wait forever", what, watchdog)
		}
	}
}
