package pluginexec

import (
	"context"
	"errors"
	"iter"
	"strings"
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

// TestBadRange gives Exec values that are not ExecRanges, directly and
// through IterateAll and IterateTyped: it returns an error naming the type
// and the accepted ones, runs nothing and does not panic.
func TestBadRange(t *testing.T) {
	noLeftovers(t)
	a := fakePlugin("a", cmd("t", "1"))
	for _, tc := range []struct {
		rng  ExecRange
		name string
	}{
		{"plugins", "string"},
		{[]Plugin{*a}, "[]pluginexec.Plugin"},
		{*a, "pluginexec.Plugin"},
		{&a.Commands[0], "*pluginexec.Command"},
		{func(yield func(*Plugin) bool) {}, "func(func(*pluginexec.Plugin) bool)"},
		{IterateAll(42), "int"},
		{IterateTyped([]*Command{}, "t"), "[]*pluginexec.Command"},
	} {
		rec := &recorder{}
		err := Exec(context.Background(), tc.rng, nil, WithExecutor(rec.execute))
		if err == nil || len(rec.procs) != 0 {
			t.Errorf("%s: Exec = %v after %d runs, want an error and none", tc.name, err, len(rec.procs))
			continue
		}
		for _, want := range []string{tc.name + " is not an ExecRange", "*Plugin", "[]*Plugin", "ExecIterator", "iter.Seq2"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", tc.name, err, want)
			}
		}
	}
}

// TestBadRangeAfterRuns: an iterator that starts runs, then ranges over an
// iterator made of a value that is not an ExecRange. Exec reports both the
// bad range and the failures of the runs it had started.
func TestBadRangeAfterRuns(t *testing.T) {
	noLeftovers(t)
	a := fakePlugin("a", cmd("t", "1"))
	rec := &recorder{err: func(*Process) error { return errors.New("run a failed") }}
	seq := ExecIterator(func(yield func(*Plugin, *Command) bool) {
		if !yield(a, &a.Commands[0]) {
			return
		}
		for p, c := range IterateAll(42) {
			if !yield(p, c) {
				return
			}
		}
	})
	err := Exec(context.Background(), seq, nil, WithExecutor(rec.execute))
	if err == nil || !strings.Contains(err.Error(), "int is not an ExecRange") || !strings.Contains(err.Error(), "run a failed") {
		t.Errorf("Exec = %v, want the bad range and the started run's failure", err)
	}
}

// TestBadRangeRangedDirectly ranges over an iterator made of a value that
// is not an ExecRange: it panics with the error Exec would return.
func TestBadRangeRangedDirectly(t *testing.T) {
	defer func() {
		err, ok := recover().(error)
		if !ok || !strings.Contains(err.Error(), "int is not an ExecRange") {
			t.Errorf("recovered %v, want the error", err)
		}
	}()
	for range IterateTyped(42, "t") {
		t.Error("yielded a pair")
	}
}

// TestRangeOfCallerTypes runs ranges of the caller's own named types.
func TestRangeOfCallerTypes(t *testing.T) {
	type plugins []*Plugin
	type pairSeq func(yield func(*Plugin, *Command) bool)
	a := fakePlugin("a", cmd("t", "1"), cmd("u", "2"))
	var nilPairs pairSeq
	for _, tc := range []struct {
		rng  ExecRange
		want int
	}{
		{plugins{a, nil, a}, 4},
		{pairSeq(IterateTyped(a, "u")), 1},
		{nilPairs, 0},
		{plugins(nil), 0},
	} {
		rec := &recorder{}
		if err := Exec(context.Background(), tc.rng, nil, WithExecutor(rec.execute)); err != nil || len(rec.procs) != tc.want {
			t.Errorf("%T: Exec = %v after %d runs, want %d", tc.rng, err, len(rec.procs), tc.want)
		}
	}
}
