package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// member is one top-level member of an object, as encoding/json reads it.
type member struct {
	key string
	raw json.RawMessage
}

// topMembers returns the members of a JSON object, or false when data is
// not one valid JSON object.
func topMembers(data []byte) ([]member, bool) {
	if !json.Valid(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		out = append(out, member{key: tok.(string), raw: raw})
	}
	return out, true
}

// FuzzRecover recovers from arbitrary bytes. It must not panic; from a valid
// JSON object it must find the first top-level "sequence" whose value is a
// uint64 and the first "blobs" that is an array of lengths (up to 1<<62);
// and a frame cut short must never yield a sequence or blobs the whole frame
// does not have.
func FuzzRecover(f *testing.F) {
	for _, s := range seedStreams {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := Recover(data)
		if members, ok := topMembers(data); ok {
			var want Recovered
			for _, m := range members {
				switch m.key {
				case "sequence":
					if v, err := strconv.ParseUint(string(m.raw), 10, 64); err == nil && !want.HasSequence {
						want.Sequence, want.HasSequence = v, true
					}
				case "blobs":
					var lengths []json.RawMessage
					if json.Unmarshal(m.raw, &lengths) != nil || m.raw[0] != '[' || want.HasBlobs {
						continue
					}
					blobs, good := []int64{}, true
					for _, n := range lengths {
						v, err := strconv.ParseUint(string(n), 10, 64)
						good = good && err == nil && v <= 1<<62
						blobs = append(blobs, int64(v))
					}
					if good {
						want.Blobs, want.HasBlobs = blobs, true
					}
				}
			}
			if diff := cmp.Diff(want, rec, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Recover(%q) (-want +got):\n%s", data, diff)
			}
			// The parser agrees whenever it accepts the frame.
			var req Request
			if ParseRequest(data, &req) == nil {
				checkRecoverAgrees(t, data, req.Sequence, req.Blobs)
			}
		}
		step := 1
		if len(data) > 256 {
			step = len(data) / 64
		}
		for i := 0; i < len(data); i += step {
			cut := Recover(data[:i])
			if cut.HasSequence && (!rec.HasSequence || cut.Sequence != rec.Sequence) {
				t.Fatalf("Recover(%q) = sequence %d, but the whole frame %q gives %+v", data[:i], cut.Sequence, data, rec)
			}
			if cut.HasBlobs && (!rec.HasBlobs || !cmp.Equal(cut.Blobs, rec.Blobs, cmpopts.EquateEmpty())) {
				t.Fatalf("Recover(%q) = blobs %v, but the whole frame %q gives %+v", data[:i], cut.Blobs, data, rec)
			}
		}
	})
}

// checkRecoverAgrees fails unless Recover finds in a frame that the parser
// accepted the sequence and blobs the parser read (blob lengths over 1<<62,
// which Recover does not read, aside): a receiver consumes the same blobs and
// answers under the same sequence whichever path it takes (PROTOCOL.md
// section 5).
func checkRecoverAgrees(t *testing.T, data []byte, seq uint64, blobs []int64) {
	t.Helper()
	rec := Recover(data)
	if !rec.HasSequence || rec.Sequence != seq {
		t.Fatalf("Recover(%q) = %+v, the parser read sequence %d", data, rec, seq)
	}
	for _, n := range blobs {
		if n > 1<<62 {
			return
		}
	}
	if !cmp.Equal(rec.Blobs, blobs, cmpopts.EquateEmpty()) {
		t.Fatalf("Recover(%q) = %+v, the parser read blobs %v", data, rec, blobs)
	}
}

// checkValidParse checks ParseFrameRequest and ParseFrameResponse against
// ParseRequest and ParseResponse: on each frame a Framer reads from data,
// and on data given as a Frame by hand, which they take to be JSON. On
// JSON they must agree, errors included. A frame the framer passed that is
// not JSON (nested past maxDepth, which the framer leaves to the parser)
// must be refused by both; on other bytes they must only return.
func checkValidParse(t *testing.T, data []byte) {
	t.Helper()
	f := NewFramer(bytes.NewReader(data), len(data)+1)
	for {
		fr, err := f.Next()
		if err != nil {
			break
		}
		checkFrameParse(t, fr, fr.Err == nil && !fr.TooLarge)
	}
	checkFrameParse(t, Frame{Data: data}, false)
}

func checkFrameParse(t *testing.T, fr Frame, framed bool) {
	t.Helper()
	var req, freq Request
	err, ferr := ParseRequest(fr.Data, &req), ParseFrameRequest(fr, &freq)
	var resp, fresp Response
	rerr, frerr := ParseResponse(fr.Data, &resp), ParseFrameResponse(fr, &fresp)
	if !json.Valid(fr.Data) {
		if framed && (err == nil || ferr == nil || rerr == nil || frerr == nil) {
			t.Fatalf("%q, not JSON, passed by the framer: ParseFrameRequest = %v, ParseRequest = %v, ParseFrameResponse = %v, ParseResponse = %v",
				fr.Data, ferr, err, frerr, rerr)
		}
		return
	}
	if fmt.Sprint(err) != fmt.Sprint(ferr) || !cmp.Equal(req, freq) {
		t.Fatalf("%q: ParseFrameRequest = %+v, %v; ParseRequest = %+v, %v", fr.Data, freq, ferr, req, err)
	}
	if fmt.Sprint(rerr) != fmt.Sprint(frerr) || !cmp.Equal(resp, fresp) {
		t.Fatalf("%q: ParseFrameResponse = %+v, %v; ParseResponse = %+v, %v", fr.Data, fresp, frerr, resp, rerr)
	}
}
