package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseResponse is FuzzParseRequest for responses.
func FuzzParseResponse(f *testing.F) {
	for _, s := range seedStreams {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkValidParse(t, data)
		var resp Response
		if err := ParseResponse(data, &resp); err != nil {
			// "not JSON" exactly when it is not: numbers of any range are.
			if strings.Contains(err.Error(), "not JSON") == json.Valid(data) {
				t.Fatalf("ParseResponse(%q) = %v; json.Valid = %v", data, err, json.Valid(data))
			}
			return
		}
		checkRecoverAgrees(t, data, resp.Sequence, resp.Blobs)
		if !json.Valid(data) {
			t.Fatalf("ParseResponse accepted invalid JSON %q: %+v", data, resp)
		}
		frame := AppendResponse(nil, &resp)
		var back Response
		if err := ParseResponse(frame, &back); err != nil {
			t.Fatalf("ParseResponse(AppendResponse(%+v)) = %v; frame %q", resp, err, frame)
		}
		want := resp
		want.Error, want.Code = sanitize(resp.Error), sanitize(resp.Code)
		want.Type = "" // a request's member, which AppendResponse does not write
		want.Services = nil
		for _, s := range resp.Services {
			want.Services = append(want.Services, sanitize(s))
		}
		if diff := cmp.Diff(want, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %q through %q (-want +got):\n%s", data, frame, diff)
		}
		if rec := Recover(frame); !rec.HasSequence || rec.Sequence != resp.Sequence {
			t.Fatalf("Recover(%q) = %+v", frame, rec)
		}
	})
}
