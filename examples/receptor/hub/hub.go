// Package hub is the host's fan-out: it hands every event published on a
// topic to each of the topic's subscribers, in order. Hub.Subscribe is at
// once the host's events.subscribe service, for plugins that subscribe
// themselves, and the stream the host passes a reactor it pushes events to.
//
// Delivery is lossless: Publish waits for each subscriber to take the event
// (each has a small buffer), so the slowest subscriber paces the topic, and
// through hostcall's flow control the watcher producing it. A subscriber
// that stops (its consumer breaks out of its loop, cancels, or its plugin
// exits) leaves the topic and no longer holds it up.
package hub

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"

	"github.com/hostcall/hostcall/examples/receptor/receptorapi"
)

// buffer is how many events a subscriber may be behind before Publish
// waits for it.
const buffer = 64

// Hub holds the topics. The zero value is not usable: call New.
type Hub struct {
	// Left, if set (before the hub is used), is called each time a
	// subscriber leaves topic, with the number of subscribers that remain.
	Left func(topic string, remain int)

	mu      sync.Mutex
	topics  map[string]*topic
	changed chan struct{} // closed and replaced when a topic's subscribers change
}

type topic struct {
	subs   map[*subscriber]struct{}
	closed chan struct{} // closed by Close
}

type subscriber struct {
	events chan receptorapi.Event
	gone   chan struct{} // closed when the subscriber leaves
}

// New returns an empty hub.
func New() *Hub {
	return &Hub{topics: map[string]*topic{}, changed: make(chan struct{})}
}

// topicLocked returns the topic called name, made on first use.
func (h *Hub) topicLocked(name string) *topic {
	t := h.topics[name]
	if t == nil {
		t = &topic{subs: map[*subscriber]struct{}{}, closed: make(chan struct{})}
		h.topics[name] = t
	}
	return t
}

// Subscribe returns the events published on topic name from the moment the
// stream is ranged over (not before), in the order they were published.
// The stream ends when the topic is closed, after the events published
// before; it yields ctx's error if ctx ends first. Breaking out of the loop
// leaves the topic.
func (h *Hub) Subscribe(ctx context.Context, name string) iter.Seq2[receptorapi.Event, error] {
	return func(yield func(receptorapi.Event, error) bool) {
		s, t, err := h.join(name)
		if err != nil {
			yield(receptorapi.Event{}, err)
			return
		}
		defer h.leave(name, s)
		for {
			select {
			case ev := <-s.events:
				if !yield(ev, nil) {
					return
				}
			case <-t.closed:
				drain(s, yield)
				return
			case <-ctx.Done():
				yield(receptorapi.Event{}, ctx.Err())
				return
			}
		}
	}
}

// drain yields the events published before the topic was closed.
func drain(s *subscriber, yield func(receptorapi.Event, error) bool) {
	for {
		select {
		case ev := <-s.events:
			if !yield(ev, nil) {
				return
			}
		default:
			return
		}
	}
}

func (h *Hub) join(name string) (*subscriber, *topic, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topicLocked(name)
	select {
	case <-t.closed:
		return nil, nil, fmt.Errorf("hub: topic %s is closed", name)
	default:
	}
	s := &subscriber{events: make(chan receptorapi.Event, buffer), gone: make(chan struct{})}
	t.subs[s] = struct{}{}
	h.changedLocked()
	return s, t, nil
}

func (h *Hub) leave(name string, s *subscriber) {
	close(s.gone) // first: a Publish waiting for s gives up on it
	h.mu.Lock()
	t := h.topics[name]
	delete(t.subs, s)
	remain := len(t.subs)
	h.changedLocked()
	h.mu.Unlock()
	if h.Left != nil {
		h.Left(name, remain)
	}
}

func (h *Hub) changedLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Publish hands ev to every subscriber of topic name, waiting for each to
// have room for it, or for ctx to end. Events published by one goroutine
// reach each subscriber in that order.
func (h *Hub) Publish(ctx context.Context, name string, ev receptorapi.Event) error {
	h.mu.Lock()
	t := h.topicLocked(name)
	subs := slices.Collect(maps.Keys(t.subs))
	h.mu.Unlock()
	select {
	case <-t.closed:
		return fmt.Errorf("hub: publish on %s: the topic is closed", name)
	default:
	}
	for _, s := range subs {
		select {
		case s.events <- ev:
		case <-s.gone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close ends topic name: its subscribers get the events published before,
// then the end of their streams, and later subscribers an error. Call it
// once the last Publish on the topic has returned; closing a closed topic
// does nothing.
func (h *Hub) Close(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topicLocked(name)
	select {
	case <-t.closed:
	default:
		close(t.closed)
	}
}

// Subscribers returns the number of subscribers of topic name.
func (h *Hub) Subscribers(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topicLocked(name).subs)
}

// AwaitSubscribers waits until topic name has n subscribers, or ctx ends.
func (h *Hub) AwaitSubscribers(ctx context.Context, name string, n int) error {
	for {
		h.mu.Lock()
		have, changed := len(h.topicLocked(name).subs), h.changed
		h.mu.Unlock()
		if have == n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("hub: %s has %d subscribers, want %d: %w", name, have, n, ctx.Err())
		}
	}
}
