package wire

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fiveCalls are valid calls, newline separated, that must be read whole
// after a malformed frame.
var fiveCalls = func() (s string, frames []string) {
	for _, n := range []string{"3", "4", "5", "6", "7"} {
		f := `{"sequence":` + n + `,"type":"call","namespace":"calc","name":"add","args":[1,2]}`
		s += f + "\n"
		frames = append(frames, f)
	}
	return s, frames
}

// TestFramerResync checks PROTOCOL.md section 5's resynchronisation: a frame
// is cut at the first byte that proves it is not JSON, and the frames after
// it are read whole, in every style of section 2.
func TestFramerResync(t *testing.T) {
	calls, callFrames := fiveCalls()
	p1 := `{"type": "call", "namespace": "calc", "name": "add", "args": [1, 2], "sequence": 8} {"type": "listServices", "namespace": "calc", "sequence": 9}`
	p1Frames := []string{`{"type": "call", "namespace": "calc", "name": "add", "args": [1, 2], "sequence": 8}`, `{"type": "listServices", "namespace": "calc", "sequence": 9}`}
	tests := []struct {
		name    string
		input   string
		want    []string
		at      []int64 // the offset each malformed frame reports, in order
		skipped int64
	}{
		{"issue: '}' closes an array, then five calls",
			`{"sequence":2,"type":"call","namespace":"calc","name":"add","args":[1,}` + "\n" + calls,
			append([]string{`<malformed: {"sequence":2,"type":"call","namespace":"calc","name":"add","args":[1,}>`}, callFrames...), []int64{70}, 0},
		{"issue: unclosed string, then five calls",
			`{"sequence":2,"type":"call","namespace":"calc","name":"ad` + "\n" + calls,
			append([]string{"<malformed: {\"sequence\":2,\"type\":\"call\",\"namespace\":\"calc\",\"name\":\"ad\n>"}, callFrames...), []int64{57}, 0},
		{"']' closes an object", `{"sequence":2,"args":{"a":1]}` + "\n" + calls,
			append([]string{`<malformed: {"sequence":2,"args":{"a":1]>`}, callFrames...), []int64{27}, 1},
		{"'}' closes an array with no newline after",
			`{"sequence":2,"args":[[1],{}}` + calls,
			append([]string{`<malformed: {"sequence":2,"args":[[1],{}}>`}, callFrames...), []int64{28}, 0},
		{"protocol 1 style, sequence last, back to back",
			`{"type": "call", "args": [1, }, "sequence": 7}` + p1,
			append([]string{`<malformed: {"type": "call", "args": [1, }>`}, p1Frames...), []int64{29}, 14},
		{"protocol 1 style, unclosed string back to back",
			`{"type": "call", "name": "ad` + "\t" + `", "sequence": 7}` + p1,
			append([]string{"<malformed: {\"type\": \"call\", \"name\": \"ad\t>"}, p1Frames...), []int64{28}, 15},
		{"raw control character in a string", "{\"sequence\":2,\"name\":\"a\x01b\"}\n" + calls,
			append([]string{"<malformed: {\"sequence\":2,\"name\":\"a\x01>"}, callFrames...), []int64{23}, 3},
		{"invalid escape", `{"sequence":2,"name":"a\x"}` + calls,
			append([]string{`<malformed: {"sequence":2,"name":"a\x>`}, callFrames...), []int64{24}, 2},
		{"bad \\u escape", `{"sequence":2,"name":"\u12g4"}` + calls,
			append([]string{`<malformed: {"sequence":2,"name":"\u12g>`}, callFrames...), []int64{26}, 3},
		{"not a value", `{"sequence":2,"args":[1,x]}` + calls,
			append([]string{`<malformed: {"sequence":2,"args":[1,x>`}, callFrames...), []int64{24}, 2},
		{"two commas", `{"sequence":2,"args":[1,,2]}` + calls,
			append([]string{`<malformed: {"sequence":2,"args":[1,,>`}, callFrames...), []int64{24}, 3},
		{"trailing comma", `{"sequence":2,"args":[1],}` + calls,
			append([]string{`<malformed: {"sequence":2,"args":[1],}>`}, callFrames...), []int64{25}, 0},
		{"missing colon", `{"sequence" 2}` + calls,
			append([]string{`<malformed: {"sequence" 2>`}, callFrames...), []int64{12}, 1},
		{"bad number", `{"sequence":02}` + calls,
			append([]string{`<malformed: {"sequence":02>`}, callFrames...), []int64{13}, 1},
		{"bad literal", `{"sequence":2,"ok":tru}` + calls,
			append([]string{`<malformed: {"sequence":2,"ok":tru}>`}, callFrames...), []int64{22}, 0},
		// A '{' that proves a frame malformed starts the next one.
		{"unclosed object, then a frame", `{"sequence":2,"args":[1,2]` + "\n" + calls,
			append([]string{"<malformed: {\"sequence\":2,\"args\":[1,2]\n>"}, callFrames...), []int64{27}, 0},
		{"'{' where a member name must start", `{{"sequence":3}`, []string{`<malformed: {>`, `{"sequence":3}`}, []int64{1}, 0},
		// Objects in the rest of a malformed frame are frames of their own.
		{"an object after the proof", `{"sequence":2,"args":[1,}, {"a":1}]}` + "\n" + calls,
			append([]string{`<malformed: {"sequence":2,"args":[1,}>`, `{"a":1}`}, callFrames...), []int64{24}, 3},
	}
	for _, tt := range tests {
		for _, wrap := range wrappers {
			t.Run(tt.name+"/"+wrap.name, func(t *testing.T) {
				defer watchdog(t, 20*time.Second)()
				got, f, err := drain(t, wrap.fn(strings.NewReader(tt.input)), 1<<20)
				if err != io.EOF {
					t.Fatalf("end: %v, want io.EOF", err)
				}
				if diff := cmp.Diff(tt.want, frameStrings(got)); diff != "" {
					t.Fatalf("frames (-want +got):\n%s", diff)
				}
				var at []int64
				for _, g := range got {
					if g.err != nil {
						var n int64
						if _, err := fmt.Sscanf(g.err.Error(), "malformed frame at byte %d:", &n); err != nil {
							t.Errorf("error %q names no byte", g.err)
						}
						at = append(at, n)
					}
				}
				if diff := cmp.Diff(tt.at, at); diff != "" {
					t.Errorf("offsets (-want +got):\n%s", diff)
				}
				if f.Skipped != tt.skipped {
					t.Errorf("Skipped = %d, want %d", f.Skipped, tt.skipped)
				}
				if d := checkAgainstRef([]byte(tt.input), 1<<20, got, err, f.Skipped); d != "" {
					t.Errorf("reference model: %s", d)
				}
			})
		}
	}
}

// TestFramerResyncErrors checks the words of Frame.Err.
func TestFramerResyncErrors(t *testing.T) {
	tests := []struct{ input, want string }{
		{`{"a":[1}`, `malformed frame at byte 7: '}' does not close the open array`},
		{`{"a":{"b":1]`, `malformed frame at byte 11: ']' does not close the open object`},
		{"{\"a\":\"x\ny\"}", `malformed frame at byte 7: raw control character '\n' in a string`},
		{`{"a":x}`, `malformed frame at byte 5: 'x' where a value must start`},
		{`{"a" 1}`, `malformed frame at byte 5: '1' where ':' must follow a member name`},
		{`{1:2}`, `malformed frame at byte 1: '1' where a member name must start`},
		{`{"a":1 2}`, `malformed frame at byte 7: '2' where ',' or the object's closer must follow a value`},
		{`{"a":"\q"}`, `malformed frame at byte 7: invalid escape '\' 'q' in a string`},
		{`{"a":-x}`, `malformed frame at byte 6: 'x' where a number needs a digit`},
		{`{"a":nulL}`, `malformed frame at byte 8: 'L' in a literal`},
	}
	for _, tt := range tests {
		fr, err := NewFramer(strings.NewReader(tt.input), 1<<10).Next()
		if err != nil || fr.Err == nil || !errors.Is(fr.Err, ErrMalformed) || fr.Err.Error() != tt.want {
			t.Errorf("%q: frame error %v (%v), want %q", tt.input, fr.Err, err, tt.want)
		}
	}
}

// TestFramerMalformedTooLarge: a frame proved malformed before the limit
// ends there, within it; one proved malformed past the limit is discarded
// through that byte and is both TooLarge and malformed.
func TestFramerMalformedTooLarge(t *testing.T) {
	const max = 100
	pad := strings.Repeat("y", 200)
	tests := []struct {
		name, input string
		tooLarge    bool
		size        int64
	}{
		{"before the limit", `{"sequence":5,"args":[1,}` + `,"` + pad + `"]}`, false, 25},
		{"after the limit", `{"sequence":5,"args":["` + pad + `",}` + `]}`, true, 226},
	}
	for _, tt := range tests {
		for _, wrap := range wrappers {
			got, _, err := drain(t, wrap.fn(strings.NewReader(tt.input+`{"sequence":6}`)), max)
			if err != io.EOF || len(got) < 2 {
				t.Fatalf("%s/%s: %d frames, end %v", tt.name, wrap.name, len(got), err)
			}
			g := got[0]
			if g.err == nil || g.tooLarge != tt.tooLarge || g.size != tt.size {
				t.Errorf("%s/%s: first frame TooLarge %v, size %d, error %v; want TooLarge %v, size %d, malformed",
					tt.name, wrap.name, g.tooLarge, g.size, g.err, tt.tooLarge, tt.size)
			}
			head := g.data
			if g.tooLarge {
				head = g.head
			}
			if rec := Recover(head); !rec.HasSequence || rec.Sequence != 5 {
				t.Errorf("%s/%s: recovered %+v", tt.name, wrap.name, rec)
			}
			if last := got[len(got)-1]; string(last.data) != `{"sequence":6}` {
				t.Errorf("%s/%s: last frame %q", tt.name, wrap.name, last.data)
			}
		}
	}
}

// TestFramerResyncDeep: below maxDepth levels a frame is followed by its
// brackets and strings alone; above, a wrong closer proves it malformed.
func TestFramerResyncDeep(t *testing.T) {
	deep := maxDepth + 10
	// Wrong closers below maxDepth levels go unnoticed; they balance.
	in := `{"a":` + strings.Repeat("[", deep) + strings.Repeat("}", 10) + strings.Repeat("]", deep-10) + `}{"b":1}`
	got, _, err := drain(t, strings.NewReader(in), 1<<20)
	if err != io.EOF || len(got) != 2 || got[0].err != nil || string(got[1].data) != `{"b":1}` {
		t.Fatalf("deep: %v, %d frames, first error %v", err, len(got), got[0].err)
	}
	// The wrong closer at the deepest tracked level is seen.
	in = `{"a":` + strings.Repeat("[", deep) + strings.Repeat("]", 11) + "}" + `{"b":1}`
	got, _, err = drain(t, strings.NewReader(in), 1<<20)
	if err != io.EOF || len(got) != 2 || got[0].err == nil || got[0].size != int64(5+deep+11+1) {
		t.Fatalf("at maxDepth: %v, %d frames, first %d bytes, error %v", err, len(got), got[0].size, got[0].err)
	}
}

// TestReadBlobsAfterMalformed: the blobs recovered from a malformed frame
// start after the end of its line, so a protocol 2 sender's blobs are
// consumed whole wherever the frame broke.
func TestReadBlobsAfterMalformed(t *testing.T) {
	tests := []struct{ name, frame string }{
		{"proof mid-line", `{"sequence":5,"blobs":[5],"args":[1,,2]}` + "\n"},
		{"proof at the end of the line", `{"sequence":5,"blobs":[5],"args":[1,}` + "\n"},
		{"raw newline in a string", `{"sequence":5,"blobs":[5],"name":"ab` + "\n"},
	}
	for _, tt := range tests {
		for _, wrap := range wrappers {
			in := tt.frame + "{{{{{" + `{"sequence":6}` + "\n"
			f := NewFramer(wrap.fn(strings.NewReader(in)), 1<<10)
			fr, err := f.Next()
			if err != nil || fr.Err == nil {
				t.Fatalf("%s/%s: %v, frame error %v", tt.name, wrap.name, err, fr.Err)
			}
			rec := Recover(fr.Data)
			blobs, err := f.ReadBlobs(rec.Blobs, true)
			if err != nil || len(blobs) != 1 || string(blobs[0]) != "{{{{{" {
				t.Fatalf("%s/%s: blobs %q, %v", tt.name, wrap.name, blobs, err)
			}
			fr, err = f.Next()
			if err != nil || string(fr.Data) != `{"sequence":6}` {
				t.Fatalf("%s/%s: next frame %q, %v", tt.name, wrap.name, fr.Data, err)
			}
		}
	}
}
