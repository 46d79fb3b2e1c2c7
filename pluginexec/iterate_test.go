package pluginexec

import (
	"iter"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pairs lists the (plugin name, first command word) pairs of seq.
func pairs(seq ExecIterator) []string {
	var got []string
	for p, c := range seq {
		got = append(got, p.Name+":"+c.Path[0])
	}
	return got
}

func TestIterate(t *testing.T) {
	a := fakePlugin("a", cmd("scanner", "s1"), cmd("report", "r1"), cmd("scanner", "s2"))
	b := fakePlugin("b", cmd("report", "r2"), cmd("scanner", "s3"))
	plugins := []*Plugin{a, nil, b}
	for _, tc := range []struct {
		name string
		seq  ExecIterator
		want []string
	}{
		{"all of a plugin", IterateAll(a), []string{"a:s1", "a:r1", "a:s2"}},
		{"all", IterateAll(plugins), []string{"a:s1", "a:r1", "a:s2", "b:r2", "b:s3"}},
		{"typed", IterateTyped(plugins, "scanner"), []string{"a:s1", "a:s2", "b:s3"}},
		{"typed of typed", IterateTyped(IterateTyped(plugins, "report"), "report"), []string{"a:r1", "b:r2"}},
		{"no such type", IterateTyped(plugins, "none"), nil},
		{"seq2", IterateAll(iter.Seq2[*Plugin, *Command](IterateTyped(b, "report"))), []string{"b:r2"}},
		{"func", IterateAll(func(yield func(*Plugin, *Command) bool) { yield(b, &b.Commands[1]) }), []string{"b:s3"}},
		{"nil iterator", IterateAll(ExecIterator(nil)), nil},
	} {
		if diff := cmp.Diff(tc.want, pairs(tc.seq)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestIterateStops(t *testing.T) {
	a := fakePlugin("a", cmd("t", "1"), cmd("t", "2"), cmd("t", "3"))
	var got []string
	for p, c := range IterateTyped([]*Plugin{a, a}, "t") {
		got = append(got, p.Name+c.Path[0])
		if len(got) == 2 {
			break
		}
	}
	if len(got) != 2 {
		t.Errorf("got %q", got)
	}
}

func TestIterateAllPanicsOnBadRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	IterateAll("plugins")
}
