package registry

import (
	"fmt"
	"sort"
)

// Services maps namespaces to their services by name, for adding many at
// once:
//
//	reg.AddServices(registry.Services{
//		"calc": {"add": add, "div": div},
//		"log":  {"info": logInfo},
//	})
type Services map[string]map[string]any

// AddService adds fn as service name of namespace ns in this layer. When no
// layer defines ns, it is created here without a manifest. AddService panics
// when ns belongs to a parent layer, name is empty or taken, or fn is not a
// func whose parameters and results cross the wire.
func (r *Registry) AddService(ns, name string, fn any) {
	caller := fmt.Sprintf("AddService(%q, %q)", ns, name)
	if name == "" {
		panic("registry: " + caller + ": empty service name")
	}
	s, err := newService(ns, name, fn)
	if err != nil {
		panic(fmt.Sprintf("registry: %s: %v", caller, err))
	}
	n := r.own(ns, caller)
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.services[name]; dup {
		panic(fmt.Sprintf("registry: %s: service already added", caller))
	}
	n.services[name] = s
}

// AddServices adds every service of s, in sorted order, with AddService's
// rules.
func (r *Registry) AddServices(s Services) {
	for _, ns := range sortedKeys(s) {
		funcs := s[ns]
		for _, name := range sortedKeys(funcs) {
			r.AddService(ns, name, funcs[name])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
