package main

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
	"github.com/hostcall/hostcall/registry"
)

// findings collects what the plugins report. Plugins report concurrently,
// from several processes and several calls each: it is safe for concurrent
// use.
type findings struct {
	target *target // findings must name one of its files

	mu   sync.Mutex
	list []scanapi.Finding
}

// define adds to layer, the registry of one plugin run, the findings
// namespace of the plugin called name. Its report service stamps name on
// every finding, so a plugin cannot report as another.
func (f *findings) define(layer *registry.Registry, name string) {
	layer.Define(scanapi.FindingsNamespace, map[string]string{"plugin": name})
	layer.AddService(scanapi.FindingsNamespace, "report", func(x scanapi.Finding) error {
		return f.report(name, x)
	})
}

// report validates x, reported by plugin, and keeps it.
func (f *findings) report(plugin string, x scanapi.Finding) error {
	if x.Plugin != "" && x.Plugin != plugin {
		return fmt.Errorf("findings: plugin %q cannot report as %q", plugin, x.Plugin)
	}
	x.Plugin = plugin
	if err := f.check(x); err != nil {
		return fmt.Errorf("findings: %s: rule %q at %q: %w", plugin, x.Rule, x.Path, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, x)
	return nil
}

// check refuses a finding that the table could not show sensibly.
func (f *findings) check(x scanapi.Finding) error {
	switch {
	case x.Rule == "":
		return errors.New("empty rule")
	case !x.Severity.Valid():
		return fmt.Errorf("severity %q: want %q, %q, %q or %q", x.Severity,
			scanapi.High, scanapi.Medium, scanapi.Low, scanapi.Info)
	case x.Line < 0:
		return fmt.Errorf("line %d: want 1 or more, or 0 for the whole file", x.Line)
	}
	e, err := f.target.stat(x.Path)
	if err != nil {
		return err
	}
	if !e.Mode.IsRegular() {
		return errors.New("not a regular file of the target")
	}
	return nil
}

// sorted returns the findings by path, line, rule, plugin and message.
func (f *findings) sorted() []scanapi.Finding {
	f.mu.Lock()
	out := slices.Clone(f.list)
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b scanapi.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Plugin, b.Plugin),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return out
}
