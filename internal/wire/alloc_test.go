package wire

import (
	"strings"
	"testing"
)

// intern returns the string it was given, whatever else shares its slot.
func TestInternKeepsEachStringItsOwn(t *testing.T) {
	var names []string
	for i := 0; i < 3*len(interned); i++ {
		names = append(names, strings.Repeat("n", i%7)+string(rune('a'+i%26))+string(rune('A'+i/26%26)))
	}
	names = append(names, strings.Repeat("x", maxInterned+1), "")
	for round := 0; round < 2; round++ {
		for _, n := range names {
			if got := intern([]byte(n)); got != n {
				t.Fatalf("intern(%q) = %q", n, got)
			}
		}
	}
}

func TestInternedNameAllocatesNothing(t *testing.T) {
	frame := []byte(`{"sequence":1,"type":"call","namespace":"calc","name":"add"}`)
	var req Request
	if err := ParseRequest(frame, &req); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if err := ParseRequest(frame, &req); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ParseRequest of a call without args: %v allocations, want 0", n)
	}
	if req.Namespace != "calc" || req.Name != "add" {
		t.Errorf("parsed %q.%q", req.Namespace, req.Name)
	}
}

func TestBufPoolAllocatesNothingOnceWarm(t *testing.T) {
	PutBuf(GetBuf())
	if n := testing.AllocsPerRun(100, func() {
		b := GetBuf()
		b = append(b, "frame"...)
		PutBuf(b)
	}); n != 0 {
		t.Errorf("GetBuf and PutBuf: %v allocations, want 0", n)
	}
}

func BenchmarkBufPool(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buf := GetBuf()
		buf = append(buf, `{"sequence":1}`...)
		PutBuf(buf)
	}
}

// The newline that ends a frame is not more to read; the start of the
// next frame is.
func TestFramerHasMore(t *testing.T) {
	f := NewFramer(strings.NewReader("{\"sequence\":1}\n \r\n\t"), 0)
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if f.Buffered() == 0 || f.HasMore() {
		t.Errorf("after a frame and whitespace: Buffered %d, HasMore %v; want >0, false", f.Buffered(), f.HasMore())
	}
	f = NewFramer(strings.NewReader("{\"sequence\":1}\n{\"seq"), 0)
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if !f.HasMore() {
		t.Error("HasMore = false with the start of the next frame buffered")
	}
}
