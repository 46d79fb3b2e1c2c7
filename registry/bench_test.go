package registry_test

import (
	"context"
	"testing"

	"github.com/hostcall/hostcall/registry"
)

type record struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
	At    Point             `json:"at"`
	Score float64           `json:"score"`
}

func BenchmarkInvoke(b *testing.B) {
	r := registry.New()
	r.AddService("bench", "add", func(a, b int) int { return a + b })
	r.AddService("bench", "record", func(_ context.Context, rec record) (record, error) {
		rec.ID++
		return rec, nil
	})
	tests := []struct {
		name, svc, args, want string
	}{
		{"add", "add", `[1,2]`, `[3]`},
		{"struct", "record",
			`[{"id":1,"name":"n","tags":["a","b"],"attrs":{"k":"v"},"at":{"X":1,"Y":2},"score":0.5}]`,
			`[{"id":2,"name":"n","tags":["a","b"],"attrs":{"k":"v"},"at":{"X":1,"Y":2},"score":0.5}]`},
	}
	ctx := context.Background()
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			svc, err := r.Lookup("bench", tt.svc)
			if err != nil {
				b.Fatal(err)
			}
			args := []byte(tt.args)
			buf, err := svc.Invoke(ctx, args, nil, nil)
			if err != nil || string(buf) != tt.want {
				b.Fatalf("Invoke = %s, %v; want %s", buf, err, tt.want)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(args)))
			for b.Loop() {
				buf, err = svc.Invoke(ctx, args, nil, buf[:0])
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
