package pluginexec

import (
	"fmt"
	"iter"
	"reflect"
)

// ExecRange is what Exec runs: every command of
//
//   - a *Plugin,
//   - a []*Plugin (what DiscoverPlugins returns), or a slice type of
//     yours with that underlying type,
//
// or exactly the (plugin, command) pairs of
//
//   - an ExecIterator (IterateAll, IterateTyped...),
//   - an iter.Seq2[*Plugin, *Command], a func(yield func(*Plugin, *Command) bool),
//     or a func type of yours with that underlying type.
//
// A nil range, and nil plugins, are skipped. Go cannot check the type at
// compile time (ExecRange is any, so that all of these are accepted as
// they are): a value of another type is an error that Exec returns,
// naming its type and the accepted ones, before running anything.
type ExecRange any

// ExecIterator yields (plugin, command) pairs; it is an
// iter.Seq2[*Plugin, *Command], usable in a for-range loop.
type ExecIterator func(yield func(*Plugin, *Command) bool)

// IterateAll yields every command of every plugin in rng, in order. If rng
// is not an ExecRange, Exec given the iterator returns an error saying so,
// without running anything; ranged over directly, the iterator panics with
// that error.
func IterateAll(rng ExecRange) ExecIterator {
	seq, err := iterate(rng)
	if err != nil {
		return func(func(*Plugin, *Command) bool) { panic(err) }
	}
	return seq
}

// IterateTyped yields the commands in rng whose Type is typ. If rng is not
// an ExecRange, it fails like IterateAll.
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

// rangeError is the error of a value used as an ExecRange that is not
// one.
type rangeError struct {
	typ string // the value's type
}

func (e *rangeError) Error() string {
	return fmt.Sprintf("pluginexec: %s is not an ExecRange: want a *Plugin, a []*Plugin, "+
		"an ExecIterator or an iter.Seq2[*Plugin, *Command]", e.typ)
}

// Types an ExecRange of a type of the caller's can be converted to.
var (
	pluginsType  = reflect.TypeFor[[]*Plugin]()
	iteratorType = reflect.TypeFor[ExecIterator]()
)

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
	v := reflect.ValueOf(rng)
	switch {
	case v.Type().ConvertibleTo(pluginsType) && v.Kind() == reflect.Slice:
		return pluginsOf(v.Convert(pluginsType).Interface().([]*Plugin)), nil
	case v.Type().ConvertibleTo(iteratorType):
		return orEmpty(v.Convert(iteratorType).Interface().(ExecIterator)), nil
	}
	return nil, &rangeError{typ: fmt.Sprintf("%T", rng)}
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
