// Command watcher is a receptor-style watcher plugin, dirwatch: it watches
// directories of node files (one file per node, its content the node's
// host:port) and streams an event to the host for each node that comes up,
// changes address or goes away.
//
// The host runs it as `watcher watch --host-file ...`, configures it with
// watcher.setup, then calls watcher.accept once per service to watch; each
// accept's answer is a stream that runs until the host stops reading it.
package main

import (
	"context"
	"fmt"
	"iter"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hostcall/hostcall/examples/receptor/receptorapi"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "dirwatch", Version: "1.0.0",
		Commands: []pluginexec.Command{{Path: []string{"watch"}, Type: "watcher"}}})
	log.SetFlags(0)
	log.SetPrefix("dirwatch: ")
	w := &watcher{}
	reg := registry.New()
	reg.AddServices(registry.Services{receptorapi.WatcherNamespace: {"setup": w.setup, "accept": w.accept}})
	if err := service.Serve(context.Background(), reg); err != nil {
		log.Fatal(err)
	}
}

// watcher is the plugin's state: its global configuration.
type watcher struct {
	mu   sync.Mutex
	poll time.Duration // 0 until setup
}

// setup is watcher.setup.
func (w *watcher) setup(cfg receptorapi.WatcherSetup) error {
	if cfg.PollMS < 0 {
		return fmt.Errorf("dirwatch: %w: pollMs %d is negative", receptorapi.ErrBadConfig, cfg.PollMS)
	}
	poll := 100 * time.Millisecond
	if cfg.PollMS > 0 {
		poll = time.Duration(cfg.PollMS) * time.Millisecond
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.poll = poll
	return nil
}

// accept is watcher.accept: it checks the watch's configuration (an error
// here is the call's, before any event) and returns the stream of its
// events. The stream runs until the host stops reading it, which cancels
// ctx, or until the directory cannot be read.
func (w *watcher) accept(ctx context.Context, cfg receptorapi.Watch) (iter.Seq2[receptorapi.Event, error], error) {
	w.mu.Lock()
	poll := w.poll
	w.mu.Unlock()
	switch {
	case poll == 0:
		return nil, fmt.Errorf("dirwatch: %w: accept before setup", receptorapi.ErrBadConfig)
	case cfg.Service == "":
		return nil, fmt.Errorf("dirwatch: %w: a watch needs a service name", receptorapi.ErrBadConfig)
	}
	if fi, err := os.Stat(cfg.Dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("dirwatch: %w: service %s: %q is not a directory", receptorapi.ErrBadConfig, cfg.Service, cfg.Dir)
	}
	return func(yield func(receptorapi.Event, error) bool) {
		d := &dirWatch{cfg: cfg, known: map[string]string{}, yield: yield}
		why := d.run(ctx, poll)
		log.Printf("watch %s: stopped after %d events: %v", cfg.Service, d.seq, why)
	}, nil
}

// dirWatch is one running watch.
type dirWatch struct {
	cfg   receptorapi.Watch
	known map[string]string // node -> address, as last reported
	seq   int               // events sent
	yield func(receptorapi.Event, error) bool
}

// run scans the directory every poll and reports what changed, until ctx
// ends, the consumer stops, or the directory cannot be read. It returns
// why it stopped.
func (d *dirWatch) run(ctx context.Context, poll time.Duration) error {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		now, err := scan(d.cfg.Dir)
		if err != nil {
			err = fmt.Errorf("dirwatch: watch %s: %w", d.cfg.Service, err)
			d.yield(receptorapi.Event{}, err)
			return err
		}
		if !d.report(now) {
			return fmt.Errorf("the host stopped reading")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// report sends an event for each node that changed since the last scan, in
// the order of their names; false if the consumer stopped.
func (d *dirWatch) report(now map[string]string) bool {
	names := slices.Collect(maps.Keys(now))
	for n := range d.known {
		if _, ok := now[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, node := range names {
		addr, up := now[node]
		old, was := d.known[node]
		var ev receptorapi.Event
		switch {
		case up && addr != old:
			ev = receptorapi.Event{Node: node, Status: receptorapi.Up, Addr: addr}
		case !up && was:
			ev = receptorapi.Event{Node: node, Status: receptorapi.Down, Addr: old}
		default:
			continue
		}
		d.seq++
		ev.Seq, ev.Service = d.seq, d.cfg.Service
		if !d.yield(ev, nil) {
			return false
		}
	}
	d.known = now
	return true
}

// scan returns the nodes of dir: each regular file not starting with a dot,
// with its trimmed content, when it has some.
func scan(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	nodes := map[string]string{}
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // gone since ReadDir: the next scan sees it
		}
		if addr := strings.TrimSpace(string(b)); addr != "" {
			nodes[e.Name()] = addr
		}
	}
	return nodes, nil
}
