package harness

import (
	"bytes"
	"encoding/json"
	"io"
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

func TestPattern(t *testing.T) {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, PatternReader(3<<20+7)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for i, x := range b {
		if x != byte(i%period) {
			t.Fatalf("byte %d is %d", i, x)
		}
	}
	if err := ReadPattern(bytes.NewReader(b), int64(len(b)), make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	b[2<<20+5]++ // one byte wrong
	if err := ReadPattern(bytes.NewReader(b), int64(len(b)), make([]byte, 256<<10)); err == nil {
		t.Fatal("ReadPattern missed a wrong byte")
	}
	b[2<<20+5]--
	if err := ReadPattern(bytes.NewReader(b[:len(b)-1]), int64(len(b)), make([]byte, 64<<10)); err == nil {
		t.Fatal("ReadPattern missed a short stream")
	}
	// A chunk out of place (two 64 KiB chunks swapped) is caught.
	sw := append([]byte(nil), b[:256<<10]...)
	copy(sw[64<<10:], b[128<<10:192<<10])
	copy(sw[128<<10:], b[64<<10:128<<10])
	if err := ReadPattern(bytes.NewReader(sw), int64(len(sw)), make([]byte, 64<<10)); err == nil {
		t.Fatal("ReadPattern missed swapped chunks")
	}
}

func TestIntChecker(t *testing.T) {
	var c IntChecker
	for i := range int64(10) {
		if err := c.Item(i); err != nil {
			t.Fatal(err)
		}
	}
	if c.End(10) != nil || c.End(11) == nil {
		t.Fatal("End")
	}
	if c.Item(11) == nil {
		t.Fatal("Item missed a gap")
	}
}
