package rawpipe

import (
	"bytes"
	"os"
	"sync"
	"testing"
)

// pair serves on one pipe pair in the test process and returns a client.
func pair(t *testing.T, mux bool) *Client {
	t.Helper()
	reqR, reqW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(reqR, respW); respW.Close() }()
	t.Cleanup(func() {
		reqW.Close()
		if err := <-done; err != nil {
			t.Error(err)
		}
		reqR.Close()
		respR.Close()
	})
	return NewClient(respR, reqW, mux)
}

func TestCalls(t *testing.T) {
	c := pair(t, false)
	if s, err := c.Add(2, 40); err != nil || s != 42 {
		t.Fatalf("Add = %d, %v", s, err)
	}
	p := bytes.Repeat([]byte("hostcall"), 300000)
	got, err := c.Echo(p)
	if err != nil || !bytes.Equal(got, p) {
		t.Fatalf("Echo: %d bytes, %v", len(got), err)
	}
	if err := c.Struct(7); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Mark(); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentAdds(t *testing.T) {
	c := pair(t, true)
	var wg sync.WaitGroup
	for g := int64(0); g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); i < 200; i++ {
				if s, err := c.Add(i, g*1000); err != nil || s != i+g*1000 {
					t.Errorf("Add(%d, %d) = %d, %v", i, g*1000, s, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestStreams(t *testing.T) {
	c := pair(t, false)
	for _, n := range []int64{0, 1, 100_000} {
		if err := c.Ints(n); err != nil {
			t.Fatalf("Ints(%d): %v", n, err)
		}
	}
	for _, n := range []int64{0, 1, 64 << 10, 3<<20 + 5} {
		if err := c.Bytes(n); err != nil {
			t.Fatalf("Bytes(%d): %v", n, err)
		}
	}
	if s, err := c.Add(2, 40); err != nil || s != 42 { // still in step
		t.Fatalf("Add after the streams = %d, %v", s, err)
	}
}
