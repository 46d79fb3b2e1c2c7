package serving

import (
	"fmt"
	"strings"
	"testing"
)

// step is one input of the hostile host: send, with each %d replaced by
// a fresh sequence of the host's, then the plugin's exact answer, want,
// with %d replaced likewise ("" when nothing is answered: the valid call
// that follows every step would read a stray answer first).
type step struct {
	what string
	send string
	want string
}

func seqd(text string, seq uint64) string { return strings.ReplaceAll(text, "%d", fmt.Sprint(seq)) }

// runSteps sends each step and checks its answer, each followed by a
// valid call.
func (h *hostile) runSteps(steps []step) {
	h.t.Helper()
	for _, s := range steps {
		seq := h.nextSeq()
		h.send(seqd(s.send, seq))
		if s.want != "" {
			h.expect(s.what, seqd(s.want, seq))
		}
		h.valid(s.what)
	}
}

// TestRequestsTheServingPluginRefuses: a plugin serving its registry
// (service.Serve) answers each request it cannot serve with its code and
// goes on serving (PROTOCOL.md sections 4 to 6, host to plugin).
func TestRequestsTheServingPluginRefuses(t *testing.T) {
	tables := []struct {
		name  string
		opts  runOptions
		steps []step
	}{
		{"unknown namespace and service", runOptions{}, []step{
			{"a call to an unknown service", call0("nope", "[]"),
				`{"sequence":%d,"error":"p.nope: unknown service","code":"unknown_service"}`},
			{"a call to an unknown namespace", `{"sequence":%d,"type":"call","namespace":"nope","name":"add","args":[1,2]}` + "\n",
				`{"sequence":%d,"error":"nope.add: unknown namespace \"nope\"","code":"unknown_namespace"}`},
			{"a call to the empty namespace", `{"sequence":%d,"type":"call","namespace":"","name":"add","args":[1,2]}` + "\n",
				`{"sequence":%d,"error":".add: unknown namespace \"\"","code":"unknown_namespace"}`},
			{"a call without a name", `{"sequence":%d,"type":"call","namespace":"p","args":[1,2]}` + "\n",
				`{"sequence":%d,"error":"p.: unknown service","code":"unknown_service"}`},
			{"getManifest of an unknown namespace", `{"sequence":%d,"type":"getManifest","namespace":"nope"}` + "\n",
				`{"sequence":%d,"error":"nope: unknown namespace \"nope\"","code":"unknown_namespace"}`},
			{"listServices of an unknown namespace", `{"sequence":%d,"type":"listServices","namespace":"nope"}` + "\n",
				`{"sequence":%d,"error":"nope: unknown namespace \"nope\"","code":"unknown_namespace"}`},
			{"hasNamespace of an unknown namespace", `{"sequence":%d,"type":"hasNamespace","namespace":"nope"}` + "\n",
				`{"sequence":%d}`},
			{"hasNamespace of the plugin's", `{"sequence":%d,"type":"hasNamespace","namespace":"p"}` + "\n",
				`{"sequence":%d,"ok":true}`},
			{"getManifest of the plugin's", `{"sequence":%d,"type":"getManifest","namespace":"p"}` + "\n",
				`{"sequence":%d,"reply":{"description":"serving faults"}}`},
			{"listServices of the plugin's", `{"sequence":%d,"type":"listServices","namespace":"p"}` + "\n",
				`{"sequence":%d,"services":["add","big","blob","bytes","callback","echo","hold","panic","sleep","stop"]}`},
			{"a host's namespace, which the plugin does not serve", `{"sequence":%d,"type":"call","namespace":"h","name":"add","args":[1,2]}` + "\n",
				`{"sequence":%d,"error":"h.add: unknown namespace \"h\"","code":"unknown_namespace"}`},
		}},
		{"bad requests", runOptions{}, []step{
			{"an unknown type", `{"sequence":%d,"type":"launch","namespace":"p"}` + "\n",
				`{"sequence":%d,"error":"unknown request type \"launch\"","code":"bad_request"}`},
			{"a type in the wrong case", `{"sequence":%d,"type":"Call","namespace":"p","name":"add","args":[1,2]}` + "\n",
				`{"sequence":%d,"error":"unknown request type \"Call\"","code":"bad_request"}`},
			{"a number for the type", `{"sequence":%d,"type":7}` + "\n",
				`{"sequence":%d,"error":"invalid request frame: type must be a string","code":"bad_request"}`},
			{"too few arguments", call0("add", "[1]"),
				`{"sequence":%d,"error":"p.add: bad arguments: takes 2 arguments, got 1","code":"bad_arguments"}`},
			{"a string for an int", call0("add", `[1,"two"]`),
				`{"sequence":%d,"error":"p.add: bad arguments: argument 1 (int): want int, got string \"two\"","code":"bad_arguments"}`},
			{"an object for args", call0("add", `{"a":1}`),
				`{"sequence":%d,"error":"p.add: bad arguments: args must be a JSON array","code":"bad_arguments"}`},
			{"a service that panics", call0("panic", "[]"),
				`{"sequence":%d,"error":"p.panic: service panicked: deliberate","code":"panic"}`},
			{"hello with args that are not an object", `{"sequence":%d,"type":"hello","args":[1]}` + "\n",
				`{"sequence":%d,"error":"hello: expect { or n, but found [","code":"bad_request"}`},
		}},
		// A frame without a type is a response to a call of the plugin's.
		// Matching none, it is a late answer to a call the plugin gave up,
		// when the host serves (its hello lists "serve", as every host's
		// does): dropped, for an answer to it would be a frame without a
		// type too, which the host, serving, would answer in turn. From a
		// host that does not serve, which answers nothing, it can only be a
		// request without its type: bad_request.
		{"response-shaped frames matching no call, from a host that serves", runOptions{}, []step{
			{"a reply", `{"sequence":%d,"reply":[3]}` + "\n", ""},
			{"an error", `{"sequence":%d,"error":"boom","code":"panic"}` + "\n", ""},
			{"a host's bad_request, answering a late answer of the plugin's",
				`{"sequence":%d,"error":"frame %d has no type: not a request","code":"bad_request"}` + "\n", ""},
			{"a bare sequence", `{"sequence":%d}` + "\n", ""},
			{"a reply with blobs, consumed", `{"sequence":%d,"blobs":[3],"reply":[0]}` + "\n{{{", ""},
			{"an empty type", `{"sequence":%d,"type":"","namespace":"p","name":"add","args":[1,2]}` + "\n", ""},
			{"a reply without a sequence", `{"reply":[3]}` + "\n", ""},
		}},
		{"response-shaped frames matching no call, from a host that does not serve", runOptions{hostServesNot: true}, []step{
			{"a reply", `{"sequence":%d,"reply":[3]}` + "\n",
				`{"sequence":%d,"error":"frame %d has no type: not a request","code":"bad_request"}`},
			{"an error", `{"sequence":%d,"error":"boom","code":"panic"}` + "\n",
				`{"sequence":%d,"error":"frame %d has no type: not a request","code":"bad_request"}`},
			{"a bare sequence", `{"sequence":%d}` + "\n",
				`{"sequence":%d,"error":"frame %d has no type: not a request","code":"bad_request"}`},
			{"a reply with blobs", `{"sequence":%d,"blobs":[3],"reply":[0]}` + "\n{{{",
				`{"sequence":%d,"error":"frame %d has no type: not a request","code":"bad_request"}`},
			{"a reply without a sequence: dropped", `{"reply":[3]}` + "\n", ""},
		}},
		{"frames that do not parse", runOptions{}, []step{
			{"an empty element", call0("add", "[1,,2]"),
				`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 67: ',' where a value must start","code":"bad_request"}`},
			{"junk before the closing brace", `{"sequence":%d,"type":"call","namespace":"p","name":"add","args":[1,2] xyz}` + "\n",
				`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 70: 'x' where ',' or the object's closer must follow a value","code":"bad_request"}`},
			{"a string sequence: dropped", `{"sequence":"%d","type":"call","namespace":"p","name":"add","args":[1,2]}` + "\n", ""},
			{"not JSON: dropped", `{not json}` + "\n", ""},
			{"garbage between frames: skipped", `]] 42 nonsense "str" [1,2]` + "\n", ""},
			{"blobs announced by a bad frame: consumed", `{"sequence":%d,"blobs":[5],"type":"call","args":[1,,2]}` + "\n{{{{{",
				`{"sequence":%d,"error":"invalid request frame: malformed frame at byte 51: ',' where a value must start","code":"bad_request"}`},
			{"a sequence twice", `{"sequence":%d,"type":"call","namespace":"p","name":"add","args":[1,2],"sequence":1}` + "\n",
				`{"sequence":%d,"error":"invalid request frame: duplicate member sequence","code":"bad_request"}`},
		}},
		{"cancel", runOptions{}, []step{
			{"a cancel for a sequence never used", `{"sequence":%d,"type":"cancel"}` + "\n", ""},
			{"a cancel for sequence 0", `{"sequence":0,"type":"cancel"}` + "\n", ""},
			{"a cancel for the largest sequence", `{"sequence":18446744073709551615,"type":"cancel"}` + "\n", ""},
		}},
		{"blobs", runOptions{}, []step{
			{"a blob argument", `{"sequence":%d,"blobs":[3],"type":"call","namespace":"p","name":"blob","args":[0]}` + "\nabc",
				`{"sequence":%d,"reply":[3]}`},
			{"a blob holding a whole frame: not read as one", `{"sequence":%d,"blobs":[57],"type":"call","namespace":"p","name":"blob","args":[0]}` + "\n" +
				`{"sequence":1,"type":"call","namespace":"p","name":"panic"}` + "\n",
				`{"sequence":%d,"reply":[57]}`},
			{"a blob index out of range", `{"sequence":%d,"blobs":[1],"type":"call","namespace":"p","name":"blob","args":[1]}` + "\nx",
				`{"sequence":%d,"error":"p.blob: bad arguments: argument 0 ([]byte): blob index 1, but the frame has 1 blobs","code":"bad_arguments"}`},
			{"a negative blob length", `{"sequence":%d,"blobs":[-1],"type":"call","namespace":"p","name":"blob","args":[0]}` + "\n",
				`{"sequence":%d,"error":"invalid request frame: a blob length is negative","code":"bad_request"}`},
		}},
	}
	for _, tt := range tables {
		t.Run(tt.name, func(t *testing.T) {
			h := startPlugin(t, tt.opts, true)
			h.valid("the start")
			h.runSteps(tt.steps)
			rep := h.finish(ending{})
			if want := int64(1 + len(tt.steps) + countRuns(tt.steps)); rep.Started != want {
				t.Errorf("the plugin ran %d services, want %d: one per valid call and per step served", rep.Started, want)
			}
		})
	}
}

// call0 is a call frame of sequence %d (see step).
func call0(name, args string) string {
	return `{"sequence":%d,"type":"call","namespace":"p","name":"` + name + `","args":` + args + `}` + "\n"
}

// countRuns counts the steps whose input runs a service: those answered
// with a call's results, or with a panic.
func countRuns(steps []step) int {
	n := 0
	for _, s := range steps {
		if strings.Contains(s.want, `"reply":[`) || strings.Contains(s.want, `"code":"panic"`) {
			n++
		}
	}
	return n
}
