package service_test

import (
	"context"
	"iter"
	"testing"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// BenchmarkStreamInts streams b.N ints from the host to the client, both
// ends in this process on OS pipes: the cost of one stream item, both
// ends included (the bench module's ints100k between processes).
func BenchmarkStreamInts(b *testing.B) {
	reg := registry.New()
	reg.AddService("b", "ints", func(ctx context.Context, n int64) iter.Seq[int64] {
		return func(yield func(int64) bool) {
			for i := int64(0); i < n; i++ {
				if !yield(i) {
					return
				}
			}
		}
	})
	p := hosttest.NewPipes(b)
	done := make(chan error, 1)
	go func() { done <- host.Serve(context.Background(), reg, p.HostR, p.HostW) }()
	c := service.NewClient(p.PluginR, p.PluginW)
	<-service.HelloAnswered(c)
	b.Cleanup(func() {
		c.Close()
		<-done
	})
	var ints func(ctx context.Context, n int64) (iter.Seq2[int64, error], error)
	if err := c.GetService("b", "ints", &ints); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	items, err := ints(context.Background(), int64(b.N))
	if err != nil {
		b.Fatal(err)
	}
	var want int64
	for v, err := range items {
		if err != nil || v != want {
			b.Fatalf("item %d: %d, %v", want, v, err)
		}
		want++
	}
	if want != int64(b.N) {
		b.Fatalf("%d items, want %d", want, b.N)
	}
}
