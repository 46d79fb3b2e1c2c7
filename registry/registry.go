package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/hostcall/hostcall/internal/wire"
)

// Registry is one layer of namespaces. The zero value is not usable: call
// New or Inherit.
type Registry struct {
	parent *Registry

	mu     sync.RWMutex
	spaces map[string]*namespace
}

type namespace struct {
	name string

	mu       sync.RWMutex
	manifest json.RawMessage
	defined  bool // Define was called (not just created by AddService)
	services map[string]*Service
}

// New returns an empty root registry.
func New() *Registry {
	return &Registry{spaces: make(map[string]*namespace)}
}

// Inherit returns a child layer of r: it sees r's namespaces (and those of
// r's parents) and may add its own.
func (r *Registry) Inherit() *Registry {
	return &Registry{parent: r, spaces: make(map[string]*namespace)}
}

// Parent returns the layer r inherits from, or nil for a root.
func (r *Registry) Parent() *Registry { return r.parent }

// Define declares namespace ns in this layer with a manifest, any value that
// encodes to JSON (nil, or a nil json.RawMessage, for none). Defining a
// namespace a parent layer has shadows the parent's namespace as a whole.
// Define panics if ns is already defined in this layer or the manifest does
// not encode.
func (r *Registry) Define(ns string, manifest any) {
	raw, err := encodeManifest(manifest)
	if err != nil {
		panic(fmt.Sprintf("registry: Define(%q): manifest does not encode to JSON: %v", ns, err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.spaces[ns]
	if n == nil {
		n = &namespace{name: ns, services: make(map[string]*Service)}
		r.spaces[ns] = n
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.defined {
		panic(fmt.Sprintf("registry: Define(%q): namespace already defined in this layer", ns))
	}
	n.defined = true
	n.manifest = raw
}

// encodeManifest returns m as JSON the registry owns. The codec copies
// MarshalJSON's output through unchecked, so the result is validated: it
// goes out verbatim in getManifest replies.
func encodeManifest(m any) (json.RawMessage, error) {
	if m == nil {
		return nil, nil
	}
	raw, ok := m.(json.RawMessage)
	if ok && raw == nil {
		return nil, nil
	}
	if !ok {
		var err error
		if raw, err = resultCodec.Marshal(m); err != nil {
			return nil, err
		}
	}
	// Compact, valid UTF-8, one line: what travels in a frame.
	clean, ok := cleanJSON(raw)
	if !ok {
		return nil, errors.New("invalid JSON")
	}
	return bytes.Clone(clean), nil // the caller may reuse its buffer
}

// own returns the namespace ns of this layer, creating it when no layer
// defines it yet. It panics when only a parent layer has it.
func (r *Registry) own(ns, caller string) *namespace {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := r.spaces[ns]; n != nil {
		return n
	}
	for p := r.parent; p != nil; p = p.parent {
		if p.lookup(ns) != nil {
			panic(fmt.Sprintf("registry: %s: namespace %q belongs to a parent layer; "+
				"Define it in this layer to shadow it", caller, ns))
		}
	}
	n := &namespace{name: ns, services: make(map[string]*Service)}
	r.spaces[ns] = n
	return n
}

// lookup finds ns in this layer only.
func (r *Registry) lookup(ns string) *namespace {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.spaces[ns]
}

// find finds ns in this layer or the nearest parent that has it.
func (r *Registry) find(ns string) *namespace {
	for l := r; l != nil; l = l.parent {
		if n := l.lookup(ns); n != nil {
			return n
		}
	}
	return nil
}

// HasNamespace reports whether ns is visible from this layer.
func (r *Registry) HasNamespace(ns string) bool { return r.find(ns) != nil }

// Namespaces returns the names of every namespace visible from this layer,
// sorted.
func (r *Registry) Namespaces() []string {
	seen := make(map[string]bool)
	for l := r; l != nil; l = l.parent {
		l.mu.RLock()
		for name := range l.spaces {
			seen[name] = true
		}
		l.mu.RUnlock()
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Manifest returns a copy of the manifest of ns as JSON (nil when it has
// none) and whether ns exists.
func (r *Registry) Manifest(ns string) (json.RawMessage, bool) {
	n := r.find(ns)
	if n == nil {
		return nil, false
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return bytes.Clone(n.manifest), true
}

// ServiceNames returns the sorted names of the services of ns and whether ns
// exists.
func (r *Registry) ServiceNames(ns string) ([]string, bool) {
	n := r.find(ns)
	if n == nil {
		return nil, false
	}
	n.mu.RLock()
	out := make([]string, 0, len(n.services))
	for name := range n.services {
		out = append(out, name)
	}
	n.mu.RUnlock()
	sort.Strings(out)
	return out, true
}

// Lookup returns service name of namespace ns. Its errors wrap
// ErrUnknownNamespace or ErrUnknownService.
func (r *Registry) Lookup(ns, name string) (*Service, error) {
	n := r.find(ns)
	if n == nil {
		return nil, fmt.Errorf("%s.%s: %w %q", wire.Printable(ns, true), wire.Printable(name, true), ErrUnknownNamespace, ns)
	}
	n.mu.RLock()
	s := n.services[name]
	n.mu.RUnlock()
	if s == nil {
		return nil, fmt.Errorf("%s.%s: %w", wire.Printable(ns, true), wire.Printable(name, true), ErrUnknownService)
	}
	return s, nil
}
