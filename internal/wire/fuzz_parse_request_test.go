package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseRequest parses arbitrary bytes as a request. It must not panic;
// what it accepts must be JSON, and AppendRequest of the result must parse
// back to the same request (strings with invalid UTF-8 coming back with
// U+FFFD, as through any JSON encoder).
func FuzzParseRequest(f *testing.F) {
	for _, s := range seedStreams {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkValidParse(t, data)
		var req Request
		if err := ParseRequest(data, &req); err != nil {
			// "not JSON" exactly when it is not: numbers of any range are.
			if strings.Contains(err.Error(), "not JSON") == json.Valid(data) {
				t.Fatalf("ParseRequest(%q) = %v; json.Valid = %v", data, err, json.Valid(data))
			}
			return
		}
		checkRecoverAgrees(t, data, req.Sequence, req.Blobs)
		if !json.Valid(data) {
			t.Fatalf("ParseRequest accepted invalid JSON %q: %+v", data, req)
		}
		frame := AppendRequest(nil, &req)
		var back Request
		if err := ParseRequest(frame, &back); err != nil {
			t.Fatalf("ParseRequest(AppendRequest(%+v)) = %v; frame %q", req, err, frame)
		}
		want := req
		want.Type, want.Namespace, want.Name = sanitize(req.Type), sanitize(req.Namespace), sanitize(req.Name)
		if diff := cmp.Diff(want, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %q through %q (-want +got):\n%s", data, frame, diff)
		}
		if rec := Recover(frame); !rec.HasSequence || rec.Sequence != req.Sequence {
			t.Fatalf("Recover(%q) = %+v", frame, rec)
		}
	})
}
