// Command reactor is a receptor-style reactor plugin, backends, with two
// commands:
//
//	reactor react --host-file ...                      serves reactor.setup and reactor.accept
//	reactor follow TOPIC [--count N] --host-file ...   subscribes to the host's TOPIC itself
//
// react is pushed its events: the host calls reactor.accept with a stream,
// which the reactor ranges over. For each event it appends a line to
// OUTDIR/SERVICE.log and rewrites OUTDIR/SERVICE.backends, the nodes that
// are up (what a load balancer's reactor would turn into its
// configuration); when the stream ends it returns a summary.
//
// follow pulls them: it calls the host's events.subscribe and prints each
// event, until the topic ends or, with --count, after N events, when it
// breaks out of its loop, which ends its subscription in the host.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"iter"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/examples/receptor/receptorapi"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "backends", Version: "1.0.0",
		Commands: []pluginexec.Command{
			{Path: []string{"react"}, Type: "reactor"},
			{Path: []string{"follow"}, Type: "subscriber"},
		}})
	log.SetFlags(0)
	log.SetPrefix("backends: ")
	count := pflag.Int("count", 0, "follow: stop after this many events (0: until the topic ends)")
	service.AddHostFlags(pflag.CommandLine)
	pflag.Parse()
	var err error
	switch {
	case pflag.Arg(0) == "react" && pflag.NArg() == 1:
		err = react()
	case pflag.Arg(0) == "follow" && pflag.NArg() == 2:
		err = follow(pflag.Arg(1), *count)
	default:
		err = errors.New("usage: reactor react | reactor follow TOPIC [--count N]")
	}
	if err != nil {
		log.Fatal(err)
	}
}

// react serves the reactor until the host stops it.
func react() error {
	r := &reactor{}
	reg := registry.New()
	reg.AddServices(registry.Services{receptorapi.ReactorNamespace: {"setup": r.setup, "accept": r.accept}})
	return service.Serve(context.Background(), reg)
}

// reactor is the plugin's state: its global configuration.
type reactor struct {
	mu     sync.Mutex
	outDir string // "" until setup
}

// setup is reactor.setup.
func (r *reactor) setup(cfg receptorapi.ReactorSetup) error {
	if fi, err := os.Stat(cfg.OutDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("backends: %w: outDir %q is not a directory", receptorapi.ErrBadConfig, cfg.OutDir)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outDir = cfg.OutDir
	return nil
}

// accept is reactor.accept: it applies the events of service until they
// end, or until the host cancels the call, then returns what it did. The
// stream opens when the loop starts: a refused configuration never opens
// it.
func (r *reactor) accept(ctx context.Context, svc string, events iter.Seq2[receptorapi.Event, error]) (receptorapi.Summary, error) {
	r.mu.Lock()
	dir := r.outDir
	r.mu.Unlock()
	if dir == "" || svc == "" || strings.ContainsAny(svc, `/\`) {
		return receptorapi.Summary{}, fmt.Errorf("backends: %w: accept %q before setup, or a bad service name", receptorapi.ErrBadConfig, svc)
	}
	f, err := os.OpenFile(filepath.Join(dir, svc+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return receptorapi.Summary{}, err
	}
	defer f.Close()
	logw := bufio.NewWriter(f)
	b := backends{path: filepath.Join(dir, svc+".backends"), up: map[string]string{}}
	n := 0
	for ev, err := range events { // a receptor reactor's `case ev, ok := <-eventCh`
		if err == nil {
			err = ctx.Err() // its `case <-closeCh`: leaving the loop stops the host's producer
		}
		if err != nil {
			return receptorapi.Summary{}, fmt.Errorf("backends: %s after %d events: %w", svc, n, err)
		}
		n++
		fmt.Fprintln(logw, ev)
		if err := b.apply(ev); err != nil {
			return receptorapi.Summary{}, err
		}
	}
	if err := logw.Flush(); err != nil {
		return receptorapi.Summary{}, err
	}
	return receptorapi.Summary{Events: n, Backends: b.lines()}, nil
}

// backends is the set of nodes up, kept in a file.
type backends struct {
	path string
	up   map[string]string // node -> address
}

// apply applies ev and rewrites the file, atomically.
func (b *backends) apply(ev receptorapi.Event) error {
	if ev.Status == receptorapi.Up {
		b.up[ev.Node] = ev.Addr
	} else {
		delete(b.up, ev.Node)
	}
	tmp := b.path + ".tmp"
	var text strings.Builder
	for _, l := range b.lines() {
		text.WriteString(l + "\n")
	}
	if err := os.WriteFile(tmp, []byte(text.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, b.path)
}

func (b *backends) lines() []string {
	lines := []string{}
	for _, node := range slices.Sorted(maps.Keys(b.up)) {
		lines = append(lines, node+" "+b.up[node])
	}
	return lines
}

// follow subscribes to the host's topic and prints its events.
func follow(topic string, count int) error {
	var subscribe receptorapi.Subscribe
	if err := service.GetService(receptorapi.EventsNamespace, "subscribe", &subscribe); err != nil {
		return err
	}
	events, err := subscribe(context.Background(), topic)
	if err != nil {
		return err
	}
	n := 0
	for ev, err := range events {
		if err != nil {
			return fmt.Errorf("follow %s after %d events: %w", topic, n, err)
		}
		n++
		fmt.Println(ev)
		if n == count {
			break // leaves the topic: the host's subscription ends
		}
	}
	fmt.Printf("followed %s: %d events\n", topic, n)
	return nil
}
