package engine

import (
	"context"
	"sync/atomic"
	"testing"
)

// BenchmarkServingCaller measures calls from a connection that serves as
// well (a host calling its plugin), over OS pipes in this process: "call"
// alone, whose replies the caller reads itself once lent the read token,
// and "callback", where each call is called back once by the peer while
// it waits, so that the caller's end both reads its reply and serves.
func BenchmarkServingCaller(b *testing.B) {
	var pa atomic.Pointer[Conn]
	regA := incRegistry() // A: the host, serving calc.inc
	regB := incRegistry() // B: the plugin, serving calc.inc and calc.back
	regB.AddService("calc", "back", func(ctx context.Context, n int) (int, error) {
		return callInt(ctx, pa.Load(), "inc", n) // B's callback to A
	})
	ctx, cancel := context.WithCancel(context.Background())
	p := newServedPair(b, ctx, ctx, regA, regB)
	b.Cleanup(func() {
		cancel()
		p.wait(b)
	})
	// B calls A back through pa: pa is B's end.
	pa.Store(p.b)
	<-p.a.HelloAnswered()
	<-p.b.HelloAnswered()
	for _, name := range []string{"inc", "back"} {
		label := map[string]string{"inc": "call", "back": "callback"}[name]
		b.Run(label, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if got, err := callInt(context.Background(), p.a, name, i); err != nil || got != i+1 {
					b.Fatal(got, err)
				}
			}
		})
	}
}
