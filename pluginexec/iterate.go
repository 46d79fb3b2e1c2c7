package pluginexec

import (
	"fmt"
	"iter"
)

// ExecRange is what Exec runs: every command of
//
//   - a *Plugin,
//   - a []*Plugin (what DiscoverPlugins returns),
//
// or exactly the (plugin, command) pairs of
//
//   - an ExecIterator (IterateAll, IterateTyped...),
//   - an iter.Seq2[*Plugin, *Command] or a func(yield func(*Plugin, *Command) bool).
//
// Nil plugins are skipped. Any other type is a programming error.
type ExecRange any

// ExecIterator yields (plugin, command) pairs; it is an
// iter.Seq2[*Plugin, *Command], usable in a for-range loop.
type ExecIterator func(yield func(*Plugin, *Command) bool)

// IterateAll yields every command of every plugin in rng, in order. It
// panics if rng is not an ExecRange.
func IterateAll(rng ExecRange) ExecIterator {
	seq, err := iterate(rng)
	if err != nil {
		panic(err)
	}
	return seq
}

// IterateTyped yields the commands in rng whose Type is typ. It panics if
// rng is not an ExecRange.
func IterateTyped(rng ExecRange, typ string) ExecIterator {
	all := IterateAll(rng)
	return func(yield func(*Plugin, *Command) bool) {
		for p, c := range all {
			if c.Type == typ && !yield(p, c) {
				return
			}
		}
	}
}

// iterate turns an ExecRange into an iterator.
func iterate(rng ExecRange) (ExecIterator, error) {
	switch r := rng.(type) {
	case nil:
		return pluginsOf(nil), nil
	case *Plugin:
		return pluginsOf([]*Plugin{r}), nil
	case []*Plugin:
		return pluginsOf(r), nil
	case ExecIterator:
		return orEmpty(r), nil
	case iter.Seq2[*Plugin, *Command]:
		return orEmpty(r), nil
	case func(yield func(*Plugin, *Command) bool):
		return orEmpty(r), nil
	}
	return nil, fmt.Errorf("pluginexec: %T is not an ExecRange", rng)
}

// orEmpty returns seq, or an empty iterator for a nil one.
func orEmpty(seq func(yield func(*Plugin, *Command) bool)) ExecIterator {
	if seq == nil {
		return pluginsOf(nil)
	}
	return seq
}

// pluginsOf yields every command of every non-nil plugin.
func pluginsOf(plugins []*Plugin) ExecIterator {
	return func(yield func(*Plugin, *Command) bool) {
		for _, p := range plugins {
			if p == nil {
				continue
			}
			for i := range p.Commands {
				if !yield(p, &p.Commands[i]) {
					return
				}
			}
		}
	}
}
