package engine

import (
	"bufio"
	"context"
	"fmt"
	"testing"

	"github.com/hostcall/hostcall/registry"
)

// servedAllocs is how many allocations serving one call of calc.<name>(n)
// takes, the peer's side being this test's own writes and reads of
// prepared frames, which allocate nothing.
func servedAllocs(t *testing.T, reg *registry.Registry, name string) float64 {
	t.Helper()
	_, w, pr := rawPeer(t, reg, Config{})
	r := bufio.NewReader(pr)
	frame := []byte(fmt.Sprintf(`{"sequence":1,"type":"call","namespace":"calc","name":%q,"args":[1]}`+"\n", name))
	call := func() {
		if _, err := w.Write(frame); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadSlice('\n')
		if err != nil || string(line) != `{"sequence":1,"reply":[2]}`+"\n" {
			t.Fatalf("reply %q, %v", line, err)
		}
	}
	for range 10 { // the pools and the service's frames fill up
		call()
	}
	return testing.AllocsPerRun(1000, call)
}

// A call of a service that does not see its context (no context.Context
// parameter, no callbacks, no stream) gets none of its own: it costs the
// two allocations of a cancelable context less than one that does.
func TestServedCallOfAServiceWithoutContextAllocatesLess(t *testing.T) {
	reg := registry.New()
	reg.AddService("calc", "plain", func(n int) int { return n + 1 })
	reg.AddService("calc", "ctx", func(_ context.Context, n int) int { return n + 1 })
	plain := servedAllocs(t, reg, "plain")
	withCtx := servedAllocs(t, reg, "ctx")
	t.Logf("allocations per served call: %v without a context, %v with", plain, withCtx)
	want := 2.0
	if raceEnabled {
		want = 1 // pools drop objects at random: the averages blur
	}
	if plain > withCtx-want {
		t.Errorf("a call of a service without a context allocates %v times, one with a context %v: want %v fewer", plain, withCtx, want)
	}
}
