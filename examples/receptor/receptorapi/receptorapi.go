// Package receptorapi is the contract between a receptor-style event
// router (the host) and its plugins: watchers, the sources of events, and
// reactors, their sinks. Both ends import it; nothing is generated.
//
// A watcher plugin serves WatcherNamespace:
//
//	setup(ctx, cfg WatcherSetup) error                        the plugin's global configuration
//	accept(ctx, w Watch) (iter.Seq2[Event, error], error)     a stream of w's events, until the host stops reading
//
// A reactor plugin serves ReactorNamespace:
//
//	setup(ctx, cfg ReactorSetup) error
//	accept(ctx, service string, events iter.Seq2[Event, error]) (Summary, error)   reads events until they end
//
// and a subscriber (a plugin run to completion) calls the host's
// EventsNamespace:
//
//	subscribe(ctx, topic string) iter.Seq2[Event, error]     the events published on topic from now on
//
// The events parameter of the reactor's accept is a stream the caller
// produces while the reactor reads it.
package receptorapi

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/hostcall/hostcall/registry"
)

// Namespaces.
const (
	WatcherNamespace = "watcher"
	ReactorNamespace = "reactor"
	EventsNamespace  = "events"
)

// Status is a node's state.
type Status string

// The states of a node.
const (
	Up   Status = "up"
	Down Status = "down"
)

// Event is one change of one node of a service: it came up (or changed
// address), or went down.
type Event struct {
	Seq     int    `json:"seq"` // 1, 2, 3... in each watch: a gap is a lost event
	Service string `json:"service"`
	Node    string `json:"node"`
	Status  Status `json:"status"`
	Addr    string `json:"addr"` // host:port
}

func (e Event) String() string {
	return fmt.Sprintf("#%d %s %s %s", e.Seq, e.Node, e.Status, e.Addr)
}

// WatcherSetup is a watcher plugin's global configuration.
type WatcherSetup struct {
	PollMS int `json:"pollMs"` // how often each watch scans its directory; 0: 100 ms
}

// Watch asks a watcher for the nodes of Service, one file per node in Dir:
// the file's name is the node's, its content the node's host:port. A file
// that appears brings its node up, one that goes away takes it down.
// Write node files atomically (write elsewhere, then rename): a file whose
// content is empty is ignored until it has some.
type Watch struct {
	Service string `json:"service"`
	Dir     string `json:"dir"`
}

// ReactorSetup is a reactor plugin's global configuration.
type ReactorSetup struct {
	OutDir string `json:"outDir"` // where SERVICE.backends and SERVICE.log go
}

// Summary is what a reactor's accept returns once its events ended.
type Summary struct {
	Events   int      `json:"events"`
	Backends []string `json:"backends"` // "node host:port" of the nodes up at the end, sorted
}

// ErrBadConfig is what setup and accept return for a configuration they
// refuse; the message says why. Registered, so errors.Is holds at the
// other end.
var ErrBadConfig = errors.New("bad configuration")

func init() { registry.RegisterError("receptor.bad_config", ErrBadConfig) }

// The consumer funcs: the types a caller declares and fills with
// GetService.
type (
	SetupWatcher  = func(ctx context.Context, cfg WatcherSetup) error
	AcceptWatch   = func(ctx context.Context, w Watch) (iter.Seq2[Event, error], error)
	SetupReactor  = func(ctx context.Context, cfg ReactorSetup) error
	AcceptReactor = func(ctx context.Context, service string, events iter.Seq2[Event, error]) (Summary, error)
	Subscribe     = func(ctx context.Context, topic string) (iter.Seq2[Event, error], error)
)
