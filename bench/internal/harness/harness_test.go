package harness

import (
	"encoding/json"
	"testing"
)

func TestRecordSize(t *testing.T) {
	r := NewRecord()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 3500 || len(b) > 4700 {
		t.Errorf("record is %d bytes as JSON, want about 4 KiB", len(b))
	}
	if testing.Verbose() {
		t.Logf("record: %d bytes as JSON", len(b))
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(&r) {
		t.Fatalf("JSON round trip: %v", err)
	}
	back.Items[0].Note += "x"
	if back.Equal(&r) {
		t.Fatal("Equal missed a changed item")
	}
}

func TestPeakRSS(t *testing.T) {
	if n := PeakRSSKiB(); n <= 0 {
		t.Fatalf("PeakRSSKiB = %d", n)
	}
}
