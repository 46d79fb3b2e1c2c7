package pb

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

func TestRecordRoundTrip(t *testing.T) {
	in := FromRecord(harness.NewRecord())
	b, err := proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Record
	if err := proto.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !Equal(in, &out) || !proto.Equal(in, &out) {
		t.Fatalf("round trip changed the record:\n%v\n%v", in, &out)
	}
	if _, err := protojson.Marshal(&out); err != nil {
		t.Fatal(err)
	}
	out.Items[3].Qty++
	if Equal(in, &out) {
		t.Fatal("Equal missed a changed item")
	}
	a, err := proto.Marshal(&AddRequest{A: 1, B: -2})
	if err != nil {
		t.Fatal(err)
	}
	var ar AddRequest
	if err := proto.Unmarshal(a, &ar); err != nil || ar.A != 1 || ar.B != -2 {
		t.Fatalf("AddRequest round trip: %v %v", &ar, err)
	}
	t.Logf("record: %d bytes as protobuf", len(b))
}
