package registry_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/registry"
)

// TestConcurrentUse adds services from many goroutines, into different
// namespaces of three layers, while others look services up, call them and
// list namespaces. Run with -race.
func TestConcurrentUse(t *testing.T) {
	const (
		writers    = 8
		perWriter  = 16
		readers    = 4
		readRounds = 100
	)
	root := registry.New()
	root.AddService("base", "add", func(a, b int) int { return a + b })
	layers := []*registry.Registry{root, root.Inherit(), root.Inherit()}
	nsName := func(layer, writer int) string { return fmt.Sprintf("ns%d-%d", layer, writer) }
	svcName := func(i int) string { return fmt.Sprintf("s%02d", i) }

	var wg sync.WaitGroup
	for li, l := range layers {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ns := nsName(li, w)
				if w%2 == 0 {
					l.Define(ns, w)
				}
				for i := range perWriter {
					l.AddService(ns, svcName(i), func(a int) int { return a + i })
					// And into one namespace per layer that every writer shares.
					l.AddService(fmt.Sprintf("shared%d", li), fmt.Sprintf("w%d-%s", w, svcName(i)), func() {})
				}
				if w%2 == 1 {
					l.Define(ns, w) // after AddService created it
				}
			}()
		}
	}
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range readRounds {
				for li, l := range layers {
					svc, err := l.Lookup("base", "add")
					if err != nil {
						t.Errorf("Lookup(base, add): %v", err)
						return
					}
					out, err := svc.Invoke(context.Background(), fmt.Appendf(nil, "[%d,1]", round), nil, nil)
					if want := fmt.Sprintf("[%d]", round+1); err != nil || string(out) != want {
						t.Errorf("base.add = %s, %v; want %s", out, err, want)
						return
					}
					names := l.Namespaces()
					if !slices.IsSorted(names) || !slices.Contains(names, "base") {
						t.Errorf("Namespaces() = %q: unsorted or without base", names)
						return
					}
					// Whatever is there already works.
					ns := nsName(li, round%writers)
					if svc, err := l.Lookup(ns, svcName(0)); err == nil {
						if out, err := svc.Invoke(context.Background(), []byte(`[5]`), nil, nil); err != nil || string(out) != "[5]" {
							t.Errorf("%s.%s = %s, %v; want [5]", ns, svcName(0), out, err)
							return
						}
					}
					l.ServiceNames(ns)
					l.Manifest(ns)
					l.HasNamespace(ns)
				}
			}
		}()
	}
	wg.Wait()

	for li, l := range layers {
		var want []string
		for i := range perWriter {
			want = append(want, svcName(i))
		}
		for w := range writers {
			ns := nsName(li, w)
			names, ok := l.ServiceNames(ns)
			if !ok {
				t.Errorf("layer %d lost namespace %s", li, ns)
				continue
			}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("layer %d, %s services (-want +got):\n%s", li, ns, diff)
			}
			if m, _ := l.Manifest(ns); string(m) != fmt.Sprint(w) {
				t.Errorf("layer %d, %s manifest = %s, want %d", li, ns, m, w)
			}
			got := call(t, l, ns, svcName(3), "[10]")
			if got != "[13]" {
				t.Errorf("layer %d, %s.%s(10) = %s, want [13]", li, ns, svcName(3), got)
			}
		}
		if names, _ := l.ServiceNames(fmt.Sprintf("shared%d", li)); len(names) != writers*perWriter {
			t.Errorf("layer %d: shared namespace has %d services, want %d", li, len(names), writers*perWriter)
		}
	}
	// Each child sees the root's namespaces and its own, not its sibling's.
	if got, want := len(layers[1].Namespaces()), 1+2*(writers+1); got != want {
		t.Errorf("child sees %d namespaces, want %d", got, want)
	}
	if layers[1].HasNamespace(nsName(2, 0)) || root.HasNamespace(nsName(1, 0)) {
		t.Errorf("a layer sees a sibling's or a child's namespace")
	}
}

// TestConcurrentDuplicates races AddService and Define of the same names:
// exactly one of each wins, the others panic.
func TestConcurrentDuplicates(t *testing.T) {
	const n = 16
	r := registry.New()
	var defined, added, panics atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer func() {
				if recover() != nil {
					panics.Add(1)
				}
			}()
			r.Define("ns", i)
			defined.Add(1)
		}()
		go func() {
			defer wg.Done()
			defer func() {
				if recover() != nil {
					panics.Add(1)
				}
			}()
			r.AddService("ns", "svc", func() int { return i })
			added.Add(1)
		}()
	}
	wg.Wait()
	if defined.Load() != 1 || added.Load() != 1 || panics.Load() != 2*n-2 {
		t.Errorf("%d Defines and %d AddServices succeeded, %d panicked; want 1, 1 and %d",
			defined.Load(), added.Load(), panics.Load(), 2*n-2)
	}
	if names, _ := r.ServiceNames("ns"); !cmp.Equal(names, []string{"svc"}) {
		t.Errorf("services = %q", names)
	}
}
