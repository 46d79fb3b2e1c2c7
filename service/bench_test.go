package service_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// benchRecord is a ~4 KiB nested struct, the bench module's struct4k.
type benchRecord struct {
	ID     int64       `json:"id"`
	Name   string      `json:"name"`
	Active bool        `json:"active"`
	Tags   []string    `json:"tags"`
	Owner  benchPerson `json:"owner"`
	Items  []benchItem `json:"items"`
	Scores []float64   `json:"scores"`
}

type benchPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Age   int32  `json:"age"`
}

type benchItem struct {
	SKU   string  `json:"sku"`
	Qty   int32   `json:"qty"`
	Price float64 `json:"price"`
	Note  string  `json:"note"`
}

func newBenchRecord() benchRecord {
	r := benchRecord{ID: 1, Name: "inventory snapshot", Active: true,
		Owner: benchPerson{Name: "Ada Lovelace", Email: "ada@example.org", Age: 36}}
	for i := 0; i < 20; i++ {
		r.Tags = append(r.Tags, fmt.Sprintf("tag-%02d-label", i))
	}
	for i := 0; i < 34; i++ {
		r.Items = append(r.Items, benchItem{SKU: fmt.Sprintf("SKU-%06d", i), Qty: int32(i), Price: float64(i) * 1.25,
			Note: fmt.Sprintf("item %d, shelf %c, restocked weekly", i, 'A'+i%26)})
	}
	for i := 0; i < 32; i++ {
		r.Scores = append(r.Scores, float64(i)/7)
	}
	return r
}

// benchClient serves a registry on OS pipes in this process and returns a
// client on them: the in-process cost of a call, both ends included.
func benchClient(b *testing.B) *service.Client {
	reg := registry.New()
	reg.AddService("b", "add", func(a, b int) int { return a + b })
	reg.AddService("b", "echo", func(p []byte) []byte { return p })
	reg.AddService("b", "record", func(r benchRecord) benchRecord { return r })
	reg.AddService("b", "ints", func(ctx context.Context, n int64) iter.Seq[int64] {
		return func(yield func(int64) bool) {
			for i := int64(0); i < n && yield(i); i++ {
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
	return c
}

// benchAdd calls b.add(int, int) b.N times, one at a time.
func benchAdd(b *testing.B, c *service.Client) {
	var add func(int, int) (int, error)
	c.GetService("b", "add", &add)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if n, err := add(i, 1); err != nil || n != i+1 {
			b.Fatal(n, err)
		}
	}
}

// benchStruct4k echoes a ~4 KiB record through b.record b.N times.
func benchStruct4k(b *testing.B, c *service.Client) {
	var rec func(benchRecord) (benchRecord, error)
	c.GetService("b", "record", &rec)
	r := newBenchRecord()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if got, err := rec(r); err != nil || got.Items[3] != r.Items[3] {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	c := benchClient(b)
	b.Run("add", func(b *testing.B) { benchAdd(b, c) })
	b.Run("struct4k", func(b *testing.B) { benchStruct4k(b, c) })
	b.Run("echo1m", func(b *testing.B) {
		var echo func([]byte) ([]byte, error)
		c.GetService("b", "echo", &echo)
		p := bytes.Repeat([]byte("x"), 1<<20)
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if got, err := echo(p); err != nil || len(got) != len(p) {
				b.Fatal(err)
			}
		}
	})
	b.Run("add-parallel", func(b *testing.B) {
		var add func(int, int) (int, error)
		c.GetService("b", "add", &add)
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if n, err := add(i, 1); err != nil || n != i+1 {
					b.Error(n, err)
					return
				}
			}
		})
	})
}

// BenchmarkRoundTripServing is BenchmarkRoundTrip's add and struct4k from
// a client that serves a registry as well, as a host calling its plugin
// does: its caller reads its own reply once the serving reader has lent
// it the read token (internal/engine, lend).
func BenchmarkRoundTripServing(b *testing.B) {
	c := benchClient(b)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- c.Serve(ctx, registry.New()) }()
	b.Cleanup(func() {
		cancel()
		<-served
	})
	b.Run("add", func(b *testing.B) { benchAdd(b, c) })
	b.Run("struct4k", func(b *testing.B) { benchStruct4k(b, c) })
}
