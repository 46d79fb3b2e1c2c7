package service_test

import (
	"context"
	"iter"
	"testing"
)

// BenchmarkStreamInts streams b.N ints from the host to the client, both
// ends in this process on OS pipes: the cost of one stream item, both
// ends included (the bench module's ints100k between processes).
func BenchmarkStreamInts(b *testing.B) {
	c := benchClient(b)
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
