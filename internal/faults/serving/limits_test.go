package serving

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOversizeFrames: a serving plugin refuses requests over its frame
// limit, blobs included, without buffering them (too_large, or dropped
// when the sequence is not in the frame's head), and refuses results over
// the smaller of its limit and the host's; it goes on serving.
func TestOversizeFrames(t *testing.T) {
	const limit = 64 << 10
	h := startPlugin(t, runOptions{args: []string{fmt.Sprintf("maxFrame=%d", limit)}}, true)
	big := strings.Repeat(`x{\"}]`, 100<<10/6)

	seq := h.nextSeq()
	frame := strings.TrimSuffix(call(seq, "echo", `["`+big+`"]`), "\n")
	h.send(frame + "\n")
	h.expect("a request over the limit", refusal(seq, "too_large",
		fmt.Sprintf("request of %d bytes is over the frame limit of %d bytes", len(frame), limit)))
	h.valid("a request over the limit")

	h.send(`{"type":"call","namespace":"p","name":"echo","args":["` + big + `"],"sequence":99}` + "\n")
	h.valid("a request over the limit, its sequence last: dropped")

	seq = h.nextSeq()
	head := fmt.Sprintf(`{"sequence":%d,"blobs":[40000,40000],"type":"call","namespace":"p","name":"blob","args":[1]}`, seq)
	h.send(head+"\n", strings.Repeat("{", 80000))
	h.expect("blobs over the limit, consumed", refusal(seq, "too_large",
		fmt.Sprintf("request %d with blobs is %d bytes, over the frame limit of %d bytes", seq, len(head)+80000, limit)))
	h.valid("blobs over the limit")

	seq = h.nextSeq()
	h.send(call(seq, "big", "[70000]"))
	h.expect("a result over the limit", refusal(seq, "too_large",
		fmt.Sprintf("p.big: frame too large: result of %d bytes is over the frame limit of %d bytes", len(reply(seq, `[""]`))+1+70000, limit)))
	h.valid("a result over the limit")

	seq = h.nextSeq()
	h.send(call(seq, "bytes", "[70000]"))
	blobHead := fmt.Sprintf(`{"sequence":%d,"blobs":[70000],"reply":[0]}`, seq)
	h.expect("a blob result over the limit", refusal(seq, "too_large",
		fmt.Sprintf("p.bytes: frame too large: result of %d bytes is over the frame limit of %d bytes", len(blobHead)+1+70000, limit)))
	h.valid("a blob result over the limit")

	seq = h.nextSeq()
	h.send(call(seq, "bytes", "[1000]"))
	f := h.expect("a blob result within the limit", fmt.Sprintf(`{"sequence":%d,"blobs":[1000],"reply":[0]}`, seq))
	if len(f.blobs) != 1 || !bytes.Equal(f.blobs[0], bytes.Repeat([]byte("b"), 1000)) {
		t.Errorf("the blob result is %d blobs, want one of 1000 'b'", len(f.blobs))
	}
	h.valid("a blob result")
	h.finish(ending{})
}

// TestHostsFrameLimit: results over the limit the host's hello announces,
// under the plugin's own, are refused too_large by the plugin.
func TestHostsFrameLimit(t *testing.T) {
	h := startPlugin(t, runOptions{hostMaxFrame: 4096}, true)
	seq := h.nextSeq()
	h.send(call(seq, "big", "[5000]"))
	h.expect("a result over the host's limit", refusal(seq, "too_large",
		fmt.Sprintf("p.big: frame too large: result of %d bytes is over the frame limit of 4096 bytes", len(reply(seq, `[""]`))+1+5000)))
	seq = h.nextSeq()
	h.send(call(seq, "big", "[4000]"))
	h.expect("a result within it", reply(seq, `["`+strings.Repeat("x", 4000)+`"]`))
	h.finish(ending{})
}

// TestBlobsAnnouncedNotSent: a host that announces blobs and sends only
// part of them stalls the plugin's reading, not its running calls: their
// deadlines are honoured and their answers sent meanwhile; once the host
// sends the rest, the plugin reads on in step.
func TestBlobsAnnouncedNotSent(t *testing.T) {
	h := startPlugin(t, runOptions{}, true)
	cb, sleep, blob := h.nextSeq(), h.nextSeq(), h.nextSeq()
	h.send(call(cb, "callback", "[1,300]"))
	h.expectTimedCall("the plugin's call to the host", 3, "[1,1]", 300*time.Millisecond)
	h.send(fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"p","name":"sleep","args":[],"timeout":300000000}`+"\n", sleep))
	h.send(fmt.Sprintf(`{"sequence":%d,"blobs":[1000],"type":"call","namespace":"p","name":"blob","args":[0]}`+"\n", blob), strings.Repeat("z", 10))
	h.expectSet("the calls running while the plugin waits for the rest of a blob",
		refusal(cb, "deadline_exceeded", "service h.add: call 3 abandoned: context deadline exceeded (call deadline exceeded)"),
		refusal(sleep, "deadline_exceeded", "context deadline exceeded"))
	h.send(strings.Repeat("z", 990))
	h.expect("the call whose blob came late", reply(blob, "[1000]"))
	h.valid("the late blob")
	h.finish(ending{})
}

// TestHostClosesMidFrame: a host that closes its stream inside a frame
// (inside a string, inside blobs announced, inside a frame already over
// the limit) ends the plugin's Serve with an error that says so; the calls
// running are canceled and answered, the plugin's calls to the host fail
// with an error that says the connection ended and why, and the plugin
// exits cleanly.
func TestHostClosesMidFrame(t *testing.T) {
	cases := []struct {
		name     string
		cut      func(seq uint64) string
		serveErr string // %d: the bytes of the cut frame
	}{
		{"inside a string", func(seq uint64) string {
			return fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"p","name":"ec`, seq)
		}, "the peer's stream ended inside a frame (%d bytes read)"},
		{"inside blobs", func(seq uint64) string {
			return fmt.Sprintf(`{"sequence":%d,"blobs":[1000],"type":"call","namespace":"p","name":"blob","args":[0]}`+"\n", seq) + "0123456789"
		}, "the peer's reading blob 0 of 1000 bytes: stream ended inside a frame (inside blobs)"},
		{"inside a frame over the limit", func(seq uint64) string {
			return fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"p","name":"echo","args":["`, seq) + strings.Repeat("y", 100<<10)
		}, "the peer's stream ended inside a frame (%d bytes read)"},
		{"between frames: a clean end", func(uint64) string { return "" }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startPlugin(t, runOptions{args: []string{"maxFrame=65536"}}, true)
			cb, sleep := h.nextSeq(), h.nextSeq()
			h.send(call(cb, "callback", "[1,0]"))
			h.expectRequest("the plugin's call to the host", `{"sequence":3,"type":"call","namespace":"h","name":"add","args":[1,1]}`)
			h.send(call(sleep, "sleep", "[]"))
			h.valid("the calls in flight")
			cut := tc.cut(h.nextSeq())
			h.send(cut)
			h.w.Close()
			serveErr := strings.ReplaceAll(tc.serveErr, "%d", fmt.Sprint(len(cut)))
			closed := "service h.add: connection to the host closed (EOF)"
			if serveErr != "" {
				closed = "service h.add: connection to the host closed: " + serveErr
			}
			h.expectSet("the calls running when the host closed",
				refusal(cb, "canceled", closed), refusal(sleep, "canceled", "context canceled"))
			rep := h.finish(ending{serveErr: serveErr, keepWriting: true})
			if rep.ServeErr != serveErr {
				t.Errorf("Serve returned %q, want exactly %q", rep.ServeErr, serveErr)
			}
			if !slices.Equal(rep.Callbacks, []string{closed}) {
				t.Errorf("the plugin's call to the host ended %q, want %q", rep.Callbacks, closed)
			}
			if !slices.Equal(rep.Ends, []string{"connection ended"}) {
				t.Errorf("p.sleep ended %q, want once, by the end of the connection", rep.Ends)
			}
		})
	}
}

// TestHostClosesWhileAnInlineCall: a call the plugin reads with nothing
// after it (here a frame without its newline, as protocol 1 peers write)
// runs on the goroutine that reads; when the host closes its stream while
// that call waits (for its context, or for the host's answer to a call of
// its own), the plugin's Serve must still end the connection: the call is
// canceled and answered, Serve returns, the plugin exits. It hung before:
// another goroutine read the end of the stream and reported it to Serve's
// goroutine, the one running the call, which waited for the call's end,
// which waited for the connection's.
func TestHostClosesWhileAnInlineCall(t *testing.T) {
	cases := []struct {
		name, service, answer, end string
	}{
		{"sleeps", "sleep", "context canceled", "connection ended"},
		{"calls the host", "callback", "service h.add: connection to the host closed (EOF)", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startPlugin(t, runOptions{}, true)
			h.valid("the start")
			seq := h.nextSeq()
			args := "[]"
			if tc.service == "callback" {
				args = "[1,0]"
			}
			h.send(strings.TrimSuffix(call(seq, tc.service, args), "\n"))
			if tc.service == "callback" {
				h.expectRequest("the plugin's call to the host", `{"sequence":3,"type":"call","namespace":"h","name":"add","args":[1,1]}`)
			}
			h.w.Close()
			h.expect("the call running when the host closed", refusal(seq, "canceled", tc.answer))
			rep := h.finish(ending{keepWriting: true})
			if tc.end != "" && !slices.Equal(rep.Ends, []string{tc.end}) {
				t.Errorf("p.%s ended %q, want once, by the end of the connection", tc.service, rep.Ends)
			}
		})
	}
}
