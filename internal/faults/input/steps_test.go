package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// maxFrame is the host's frame limit in these runs: small enough that
// over-limit frames are cheap to stream, large enough to be realistic.
const maxFrame = 8 << 20

// Bugs this suite found, asserted in their correct form (see outcome.bug).
const (
	bugNumberRange = "a number outside float64's range is valid JSON, yet the request is refused " +
		"as bad_request \"not JSON\" instead of the argument being bad_arguments"
	bugInFlightNonCall = "a non-call request reusing the sequence of a call in flight is answered " +
		"normally, so two responses carry that sequence"
)

// mixedSteps is every kind of bad input but the 1 GiB object and the
// stream that ends inside an object, which need runs of their own.
func mixedSteps() []step {
	var s []step
	for _, part := range [][]step{
		garbageSteps(), truncatedSteps(), oversizedSteps(), nestedSteps(), utf8Steps(),
		sequenceSteps(), responseSteps(), badJSONSteps(), badArgsSteps(), badTypeSteps(), blobSteps(),
		resyncSteps(),
	} {
		s = append(s, part...)
	}
	return s
}

// call is a call frame of sequence %d (see frame).
func call(ns, name, args string) string {
	return `{"sequence":%d,"type":"call","namespace":"` + ns + `","name":"` + name + `","args":` + args + `}`
}

func garbageSteps() []step {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		for random[i] = byte(rng.UintN(256)); random[i] == '{'; random[i] = byte(rng.UintN(256)) {
		}
	}
	return []step{
		{kind: "garbage", what: "text and JSON values that are not objects", send: frame(`]] 42 nonsense true null "str" [1,2] -0.5e3`), want: skipped()},
		{kind: "garbage", what: "4 KiB of random bytes without '{'", send: raw(random), want: skipped()},
		{kind: "garbage", what: "closers and quotes at depth 0", send: frame(`}}}]]]"""\\"}`), want: skipped()},
		{kind: "garbage", what: "1 KiB of NUL bytes", send: raw(make([]byte, 1024)), want: skipped()},
		{kind: "garbage", what: "16 MiB without '{' (twice the frame limit), streamed", send: func(d *driver, _ uint64) error {
			return d.write(repeat{bytes.Repeat([]byte(`x]}"\ 1e9 `), 6554), 256}, "\n")
		}, want: skipped()},
	}
}

// raw writes b as it is.
func raw(b []byte) func(d *driver, seq uint64) error {
	return func(d *driver, _ uint64) error { return d.write(b) }
}

// truncatedSteps cut a call at several places mid-stream. A cut object is
// delimited only by what follows it, so each is closed by cutAndClose.
func truncatedSteps() []step {
	const tmpl = `{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[1,{"x":"a\"b"}]}`
	after := func(sub string, k int) func(f string) int {
		return func(f string) int { return strings.Index(f, sub) + k }
	}
	cuts := []struct {
		what string
		at   func(f string) int
	}{
		{"after the opening brace", func(string) int { return 1 }},
		{"inside the name sequence", after(`"seque`, 6)},
		{"after sequence's colon", after(`:`, 1)},
		{"inside the sequence's digits", after(`:`, 2)},
		{"after the sequence and its comma", after(`,`, 1)},
		{"inside the type string", after(`"ca`, 3)},
		{"inside the namespace", after(`"fau`, 4)},
		{"inside args, after a comma", after(`[1,`, 3)},
		{"inside a nested object's string", after(`"a`, 2)},
		{"right after a backslash in a string", after(`\`, 1)},
		{"before the final brace", func(f string) int { return len(f) - 1 }},
	}
	var steps []step
	for _, c := range cuts {
		steps = append(steps, step{kind: "truncated", what: "cut " + c.what, run: func(d *driver, what string) {
			seq := d.next()
			full := strings.ReplaceAll(tmpl, "%d", fmt.Sprint(seq))
			n := c.at(full)
			if d.write(cutAndClose(full, n), "\n") != nil {
				return
			}
			want := dropped()
			if n >= len(fmt.Sprintf(`{"sequence":%d,`, seq)) {
				want = answered("bad_request", "invalid request frame")
			}
			d.expect(seq, want, what)
		}})
	}
	return steps
}

// cutAndClose cuts frame at n and ends it as a peer that gave up on it
// would: a control character, so that the result is never valid JSON, a
// quote if the cut fell inside a string, and a closer for each bracket
// still open.
func cutAndClose(frame string, n int) string {
	var open []byte
	inStr, esc := false, false
	for i := 0; i < n; i++ {
		switch c := frame[i]; {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		case c == '{':
			open = append(open, '}')
		case c == '[':
			open = append(open, ']')
		case c == '}' || c == ']':
			open = open[:len(open)-1]
		}
	}
	b := []byte(frame[:n] + "\x01") // after a backslash, it is the escaped character
	if inStr {
		b = append(b, '"')
	}
	for i := len(open) - 1; i >= 0; i-- {
		b = append(b, open[i])
	}
	return string(b)
}

// filler is k bytes of 'A', as parts for driver.write.
func filler(k int) []any {
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	return []any{repeat{chunk, k / len(chunk)}, chunk[:k%len(chunk)]}
}

// lenCall writes a call of faults.len with a string of k bytes and
// returns the frame's size. seqLast puts the sequence last.
func lenCall(d *driver, seq uint64, k int, seqLast bool) (int64, error) {
	head := fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"len","args":["`, seq)
	tail := `"]}`
	if seqLast {
		head = `{"type":"call","namespace":"faults","name":"len","args":["`
		tail = fmt.Sprintf(`"],"sequence":%d}`, seq)
	}
	parts := append([]any{head}, filler(k)...)
	return int64(len(head) + k + len(tail)), d.write(append(parts, tail, "\n")...)
}

func tooLarge(size int64) outcome {
	return answered("too_large", fmt.Sprintf("request of %d bytes is over the frame limit of %d bytes", size, maxFrame))
}

func oversizedSteps() []step {
	lenHead := func(seq uint64) int {
		return len(fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"len","args":["`, seq))
	}
	return []step{
		{kind: "oversized", what: "9 MiB string, sequence first", run: func(d *driver, what string) {
			seq := d.next()
			if size, err := lenCall(d, seq, 9<<20, false); err == nil {
				d.expect(seq, tooLarge(size), what)
			}
		}},
		{kind: "oversized", what: "9 MiB string, sequence last", run: func(d *driver, what string) {
			seq := d.next()
			if _, err := lenCall(d, seq, 9<<20, true); err == nil {
				d.expect(seq, dropped(), what)
			}
		}},
		{what: "a frame of exactly the limit is served", run: func(d *driver, what string) {
			seq := d.next()
			k := maxFrame - lenHead(seq) - len(`"]}`)
			if _, err := lenCall(d, seq, k, false); err == nil {
				d.expect(seq, servedBy(fmt.Sprintf("[%d]", k)), what)
			}
		}},
		{kind: "oversized", what: "one byte over the limit", run: func(d *driver, what string) {
			seq := d.next()
			k := maxFrame + 1 - lenHead(seq) - len(`"]}`)
			if size, err := lenCall(d, seq, k, false); err == nil {
				d.expect(seq, tooLarge(size), what)
			}
		}},
		{kind: "oversized", what: "9 MiB of strings full of braces, brackets and escapes", run: func(d *driver, what string) {
			seq := d.next()
			head := fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"depth","args":[[`, seq)
			chunk := bytes.Repeat([]byte(`"{\"}\\]",`), 6000)
			n := (9<<20)/len(chunk) + 1
			tail := `""]]}`
			if d.write(head, repeat{chunk, n}, tail, "\n") == nil {
				d.expect(seq, tooLarge(int64(len(head)+n*len(chunk)+len(tail))), what)
			}
		}},
		{kind: "oversized", what: "two over the limit back to back, no separator", run: func(d *driver, what string) {
			s1, s2 := d.next(), d.next()
			h1 := fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"len","args":["`, s1)
			h2 := fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"len","args":["`, s2)
			k := 9 << 20
			parts := append(append([]any{h1}, filler(k)...), `"]}`, h2)
			if d.write(append(append(parts, filler(k)...), `"]}`, "\n")...) == nil {
				d.expect(s1, tooLarge(int64(len(h1)+k+3)), what+" (first)")
				d.expect(s2, tooLarge(int64(len(h2)+k+3)), what+" (second)")
			}
		}},
		{kind: "oversized", what: "9 MiB of blobs holding frame text", run: func(d *driver, what string) {
			seq := d.next()
			fake := []byte("{\"sequence\":1,\"type\":\"call\",\"namespace\":\"faults\",\"name\":\"add\",\"args\":[1,2]}\n")
			n := (9 << 20) / len(fake)
			f := fmt.Sprintf(`{"sequence":%d,"blobs":[%d],"type":"call","namespace":"faults","name":"blob","args":[0]}`, seq, n*len(fake))
			if d.write(f, "\n", repeat{fake, n}) == nil {
				d.expect(seq, answered("too_large", fmt.Sprintf("request %d with blobs is %d bytes, over the frame limit of %d bytes",
					seq, len(f)+n*len(fake), maxFrame)), what)
			}
		}},
	}
}

// hugeSteps is the 1 GiB object: streamed in 1 MiB chunks, never held.
func hugeSteps() []step {
	return []step{{kind: "huge", what: "1 GiB object, streamed in 1 MiB chunks", run: func(d *driver, what string) {
		seq := d.next()
		head := fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"len","args":["`, seq)
		body := repeat{bytes.Repeat([]byte("A"), 1<<20), 1024}
		if d.write(head, body, `"]}`, "\n") == nil {
			d.expect(seq, tooLarge(int64(len(head))+body.size()+3), what)
		}
	}}}
}

func nestedSteps() []step {
	const n = 1000000
	open, closeArr := strings.Repeat("[", n), strings.Repeat("]", n)
	return []step{
		{kind: "nested", what: "10^6 '[' in args", send: frame(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":` + open + closeArr + `}`),
			want: answeredAny("bad_request", "bad_arguments")},
		{kind: "nested", what: "10^6 objects in an unknown member", send: frame(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[1,2],"x":` +
			strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) + `}`), want: answeredAny("bad_request", "bad_arguments")},
		{kind: "nested", what: "10^6 '[' closed by '}'", send: frame(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":` + open + strings.Repeat("}", n) + `}`),
			want: answered("bad_request", "invalid request frame")},
		{kind: "nested", what: "10^5 '[' in hello's args", send: frame(`{"sequence":%d,"type":"hello","args":` + open[:n/10] + closeArr[:n/10] + `}`),
			want: answered("bad_request", "")},
		{what: "5000 levels, within the codec's depth limit, are served", send: frame(call("faults", "depth", "["+open[:5000]+closeArr[:5000]+"]")),
			want: servedBy("[5000]")},
	}
}

func utf8Steps() []step {
	return []step{
		{kind: "utf8", what: "in string arguments: replaced by U+FFFD, byte by byte",
			send: frame(call("calc", "concat", "[\"-\",\"a\xffb\xed\xa0\x80\",\"x\xc0\xa2y\"]")),
			want: served(`["a\ufffdb\ufffd\ufffd\ufffd-x\ufffd\ufffdy"]`)},
		{kind: "utf8", what: "a lone surrogate escape", send: frame(call("calc", "concat", `["-","\ud800x"]`)), want: served(`["\ufffdx"]`)},
		{kind: "utf8", what: "in the namespace", send: frame(call("fa\xffults", "add", "[1,2]")), want: answered("unknown_namespace", "unknown namespace")},
		{kind: "utf8", what: "in the service name", send: frame(call("faults", "ad\xc0d", "[1,2]")), want: answered("unknown_service", `"ad\xc0d": unknown service`)},
		{kind: "utf8", what: "in the type", send: frame(`{"sequence":%d,"type":"call` + "\xff" + `","namespace":"faults","name":"add","args":[1,2]}`),
			want: answered("bad_request", "unknown request type")},
		{kind: "utf8", what: "in an unknown member's name: ignored", send: frame(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[2,3],"` + "\xff\xfe" + `":1}`),
			want: servedBy("[5]")},
		{kind: "utf8", what: "between members", send: frame(`{"sequence":%d,` + "\xff" + `"type":"call","namespace":"faults","name":"add","args":[1,2]}`),
			want: answered("bad_request", "invalid request frame")},
		{kind: "utf8", what: "before the sequence", send: frame(`{` + "\xff" + `"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[1,2]}`),
			want: dropped()},
	}
}

// sequenceSteps are duplicate sequences (while in flight) and reused ones
// (after completion).
func sequenceSteps() []step {
	wait := `{"sequence":%d,"type":"call","namespace":"calc","name":"wait"}` + "\n"
	add := call("faults", "add", "[1,2]") + "\n"
	seqd := func(text string, seq uint64) string { return strings.ReplaceAll(text, "%d", fmt.Sprint(seq)) }
	// cancel ends the wait call seq.
	cancel := func(d *driver, seq uint64, what string) {
		if d.write(seqd(`{"sequence":%d,"type":"cancel"}`+"\n", seq)) != nil {
			return
		}
		if r := d.await(seq, what+" (its cancel)"); r != nil && r.Code != "canceled" {
			d.failf("%s: the blocked call was answered %s, want code canceled", what, r)
		}
	}
	inFlight := func(second string, want outcome) func(d *driver, what string) {
		return func(d *driver, what string) {
			seq := d.next()
			if d.write(seqd(wait, seq)) != nil || d.write(seqd(second, seq)) != nil {
				return
			}
			d.expect(seq, want, what)
			cancel(d, seq, what)
		}
	}
	reuse := func(first func(d *driver, seq uint64, what string)) func(d *driver, what string) {
		return func(d *driver, what string) {
			seq := d.next()
			first(d, seq, what)
			if d.write(seqd(call("faults", "add", "[40,2]")+"\n", seq)) == nil {
				d.expect(seq, servedBy("[42]"), what)
			}
		}
	}
	return []step{
		{kind: "duplicate-seq", what: "a call reusing the sequence of a call in flight",
			run: inFlight(add, answered("bad_request", "already in flight"))},
		{kind: "duplicate-seq", what: "the same, both in one write with no separator", run: func(d *driver, what string) {
			seq := d.next()
			if d.write(seqd(strings.TrimSuffix(wait, "\n")+add, seq)) != nil {
				return
			}
			d.expect(seq, answered("bad_request", "already in flight"), what)
			cancel(d, seq, what)
		}},
		{kind: "duplicate-seq", what: "a hasNamespace reusing the sequence of a call in flight",
			run: inFlight(`{"sequence":%d,"type":"hasNamespace","namespace":"calc"}`+"\n",
				outcome{code: []string{"bad_request"}, bug: bugInFlightNonCall, bugCode: ""})},
		{kind: "reused-seq", what: "the sequence of a completed call", run: reuse(func(d *driver, seq uint64, what string) {
			if d.write(seqd(add, seq)) == nil {
				d.expect(seq, servedBy("[3]"), what+" (first use)")
			}
		})},
		{kind: "reused-seq", what: "the sequence of a frame answered bad_request", run: reuse(func(d *driver, seq uint64, what string) {
			if d.write(seqd(`{"sequence":%d,"type":7}`+"\n", seq)) == nil {
				d.expect(seq, answered("bad_request", "type must be a string"), what+" (first use)")
			}
		})},
		{kind: "reused-seq", what: "the sequence of a canceled call", run: reuse(func(d *driver, seq uint64, what string) {
			if d.write(seqd(wait, seq)) == nil {
				cancel(d, seq, what)
			}
		})},
		{kind: "reused-seq", what: "the sequence of the call just answered, 300 times in a row", run: func(d *driver, what string) {
			seq := d.next()
			for i := 0; i < 300 && !d.stalled; i++ {
				if d.write(seqd(call("faults", "add", fmt.Sprintf("[%d,1]", i))+"\n", seq)) != nil {
					return
				}
				r := d.await(seq, what)
				if r != nil && (r.Error != "" || !jsonEqual(r.Reply, fmt.Sprintf("[%d]", i+1))) {
					d.failf("%s: use %d answered %s, want reply [%d]", what, i+1, r, i+1)
					return
				}
				if r != nil {
					d.tally.Invoked++
				}
			}
			d.tally.Outcomes["served"]++
		}},
		{kind: "reused-seq", what: "the sequence of the previous valid call", run: func(d *driver, what string) {
			seq := d.seq // validCall took it last
			if d.write(seqd(call("faults", "add", "[40,2]")+"\n", seq)) == nil {
				d.expect(seq, servedBy("[42]"), what)
			}
		}},
	}
}

// responseSteps are responses where requests belong.
func responseSteps() []step {
	noType := answered("bad_request", "has no type: not a request")
	return []step{
		{kind: "response-as-request", what: "a reply", send: frame(`{"sequence":%d,"reply":[3]}`), want: noType},
		{kind: "response-as-request", what: "an error", send: frame(`{"sequence":%d,"error":"boom","code":"panic"}`), want: noType},
		{kind: "response-as-request", what: "an ok", send: frame(`{"sequence":%d,"ok":true}`), want: noType},
		{kind: "response-as-request", what: "services", send: frame(`{"sequence":%d,"services":["add"]}`), want: noType},
		{kind: "response-as-request", what: "a bare sequence", send: frame(`{"sequence":%d}`), want: noType},
		{kind: "response-as-request", what: "a null type", send: frame(`{"sequence":%d,"type":null,"reply":[1]}`), want: noType},
		{kind: "response-as-request", what: "a reply with blobs", send: frame(`{"sequence":%d,"blobs":[3],"reply":[0]}` + "\n{{{"), want: noType},
		{kind: "response-as-request", what: "the host's last response, echoed", run: func(d *driver, what string) {
			line := d.last // the previous valid call's answer
			var r response
			if err := json.Unmarshal(line, &r); err != nil || r.Sequence == nil {
				d.failf("%s: cannot decode the last response %q: %v", what, line, err)
				return
			}
			if d.write(line) == nil {
				d.expect(*r.Sequence, noType, what)
			}
		}},
		{kind: "response-as-request", what: "a reply without sequence", send: frame(`{"reply":[3]}`), want: dropped()},
	}
}

func badJSONSteps() []step {
	addTo := func(member string) string {
		return `{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[1,2],` + member + `}`
	}
	bad := answered("bad_request", "invalid request frame")
	return []step{
		{kind: "bad-json", what: "an empty element", send: frame(call("faults", "add", "[1,,2]")), want: answered("bad_request", "malformed frame at byte")},
		{kind: "bad-json", what: "a missing comma", send: frame(`{"sequence":%d,"type":"call" "namespace":"faults","name":"add","args":[1,2]}`), want: bad},
		{kind: "bad-json", what: "a number for the type", send: frame(`{"sequence":%d,"type":7}`), want: answered("bad_request", "type must be a string")},
		{kind: "bad-json", what: "an array for the namespace", send: frame(`{"sequence":%d,"type":"call","namespace":["faults"],"name":"add","args":[1,2]}`), want: bad},
		{kind: "bad-json", what: "a string for the timeout", send: frame(addTo(`"timeout":"soon"`)), want: bad},
		{kind: "bad-json", what: "a raw control character in a string", send: frame(call("fau\x01lts", "add", "[1,2]")), want: bad},
		{kind: "bad-json", what: "a NUL between members", send: frame(addTo("\x00\"x\":1")), want: bad},
		{kind: "bad-json", what: "junk before the closing brace", send: frame(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":[1,2] xyz}`), want: bad},
		{kind: "bad-json", what: "an unquoted member name", send: frame(`{"sequence":%d,type:"call"}`), want: bad},
		{kind: "bad-json", what: "not JSON at all", send: frame(`{not json}`), want: dropped()},
		{kind: "bad-json", what: "an empty object", send: frame(`{}`), want: dropped()},
		{kind: "bad-json", what: "no sequence", send: frame(`{"type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
		{kind: "bad-json", what: "a string sequence", send: frame(`{"sequence":"%d","type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
		{kind: "bad-json", what: "a negative sequence", send: frame(`{"sequence":-%d,"type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
		{kind: "bad-json", what: "a fractional sequence", send: frame(`{"sequence":%d.5,"type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
		{kind: "bad-json", what: "a sequence in exponent form", send: frame(`{"sequence":%de0,"type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
		{kind: "bad-json", what: "a sequence over uint64", send: frame(`{"sequence":18446744073709551616,"type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
		{kind: "bad-json", what: "a sequence with leading zeros", send: frame(`{"sequence":00%d,"type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
		{kind: "bad-json", what: "a null sequence", send: frame(`{"sequence":null,"type":"call","namespace":"faults","name":"add","args":[1,2]}`), want: dropped()},
	}
}

func badArgsSteps() []step {
	ba := func(msg string) outcome { return answered("bad_arguments", "faults.add: bad arguments: "+msg) }
	return []step{
		{kind: "bad-args", what: "too few", send: frame(call("faults", "add", "[1]")), want: ba("takes 2 arguments, got 1")},
		{kind: "bad-args", what: "too many", send: frame(call("faults", "add", "[1,2,3]")), want: ba("takes 2 arguments, got 3")},
		{kind: "bad-args", what: "none", send: frame(`{"sequence":%d,"type":"call","namespace":"faults","name":"add"}`), want: ba("takes 2 arguments, got 0")},
		{kind: "bad-args", what: "a string for an int", send: frame(call("faults", "add", `[1,"two"]`)), want: ba("argument 1 (int)")},
		{kind: "bad-args", what: "an object, not an array", send: frame(call("faults", "add", `{"a":1,"b":2}`)), want: ba("args must be a JSON array")},
		{kind: "bad-args", what: "a string, not an array", send: frame(call("faults", "add", `"1,2"`)), want: ba("args must be a JSON array")},
		{kind: "bad-args", what: "a fraction for an int", send: frame(call("faults", "add", "[1.5,2]")), want: ba("argument 0 (int)")},
		{kind: "bad-args", what: "an int over int64", send: frame(call("faults", "add", "[99999999999999999999999,2]")), want: ba("argument 0 (int)")},
		{kind: "bad-args", what: "a number over float64's range", send: frame(call("faults", "add", "[1e400,2]")),
			want: outcome{code: []string{"bad_arguments"}, msg: "argument 0 (int)", bug: bugNumberRange, bugCode: "bad_request"}},
	}
}

func badTypeSteps() []step {
	return []step{
		{kind: "bad-type", what: "an unknown type", send: frame(`{"sequence":%d,"type":"launch","namespace":"faults"}`), want: answered("bad_request", `unknown request type "launch"`)},
		{kind: "bad-type", what: "a type in the wrong case", send: frame(`{"sequence":%d,"type":"Call","namespace":"faults","name":"add","args":[1,2]}`), want: answered("bad_request", "unknown request type")},
		{kind: "bad-type", what: "an empty type", send: frame(`{"sequence":%d,"type":"","namespace":"faults","name":"add","args":[1,2]}`), want: answered("bad_request", "has no type")},
		{kind: "bad-type", what: "hello with args that are not an object", send: frame(`{"sequence":%d,"type":"hello","args":[1]}`), want: answered("bad_request", "hello")},
		{kind: "bad-type", what: "a cancel for a sequence not in flight (no response of its own)", send: frame(`{"sequence":%d,"type":"cancel"}`), want: outcome{none: true}},
	}
}

func blobSteps() []step {
	blobCall := func(blobs, args string) string {
		return `{"sequence":%d,"blobs":` + blobs + `,"type":"call","namespace":"faults","name":"blob","args":` + args + `}`
	}
	inner := "{\"sequence\":1,\"type\":\"call\",\"namespace\":\"faults\",\"name\":\"add\",\"args\":[1,2]}\n"
	return []step{
		{kind: "blobs", what: "a negative length", send: frame(blobCall("[-1]", "[0]")), want: answered("bad_request", "")},
		{kind: "blobs", what: "a string length", send: frame(blobCall(`["x"]`, "[0]")), want: answered("bad_request", "")},
		{kind: "blobs", what: "an index out of range", send: frame(blobCall("[1]", "[1]") + "\nx"), want: answered("bad_arguments", "blob index 1")},
		{kind: "blobs", what: "an index for a string parameter", send: frame(`{"sequence":%d,"blobs":[2],"type":"call","namespace":"calc","name":"concat","args":["-",0]}` + "\nxy"),
			want: answered("bad_arguments", "argument 1 (string)")},
		{kind: "blobs", what: "bad JSON with blobs of braces: consumed all the same", send: frame(`{"sequence":%d,"blobs":[5],"type":"call","args":[1,,2]}` + "\n{{{{{"),
			want: answered("bad_request", "malformed frame at byte")},
		{kind: "blobs", what: "a blob holding a whole frame: not read as one", send: frame(blobCall(fmt.Sprintf("[%d]", len(inner)), "[0]") + "\n" + inner),
			want: servedBy("[" + strconv.Itoa(len(inner)) + "]")},
	}
}

// writeCut writes the start of an object and no more: the plugin then
// exits, so the host's stream ends inside it.
func (d *driver) writeCut(cmd string) {
	seq := d.next()
	d.tally.Tried["truncated-at-end"]++
	switch cmd {
	case cmdCutString, cmdCutCrash:
		d.write(fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"ca`, seq))
	case cmdCutHuge:
		d.write(append([]any{fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"len","args":["`, seq)}, filler(12<<20)...)...)
	case cmdCutBlobs:
		d.write(fmt.Sprintf(`{"sequence":%d,"blobs":[1000],"type":"call","namespace":"faults","name":"blob","args":[0]}`+"\n", seq), "0123456789")
	case cmdCutNested:
		d.write(fmt.Sprintf(`{"sequence":%d,"type":"call","namespace":"faults","name":"add","args":`, seq), strings.Repeat("[", 100000))
	}
}

// procStatusKiB returns a "kB" field of /proc/self/status, 0 if absent.
func procStatusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
