package main

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
	"github.com/hostcall/hostcall/registry"
)

// logger prints the plugins' log messages on the host's stderr, each line
// prefixed with the plugin's name. Lines of concurrent plugins never mix.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

// define adds to layer, the registry of one plugin run, the log namespace
// of the plugin called name: the plugin does not say who it is, the host
// knows.
func (l *logger) define(layer *registry.Registry, name string) {
	layer.Define(scanapi.LogNamespace, nil)
	layer.AddServices(registry.Services{scanapi.LogNamespace: {
		"info": func(msg string) { l.print(name, msg) },
		"warn": func(msg string) { l.print(name, "warning: "+msg) },
	}})
}

// print writes msg as one line per line of msg, each prefixed with who.
func (l *logger) print(who, msg string) {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(&b, "%s: %s\n", who, line)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, b.String())
}
