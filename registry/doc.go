// Package registry holds the services a host exposes to its plugins: plain
// Go funcs grouped in namespaces, in layers.
//
// A service is any func whose parameters decode from JSON and whose results
// encode to JSON. Its first parameter may be a context.Context, which is
// canceled when the plugin cancels the call, its timeout expires or the
// plugin goes away; its last result may be an error, whose message reaches
// the plugin intact:
//
//	reg := registry.New()
//	reg.Define("calc", map[string]string{"description": "arithmetic"})
//	reg.AddService("calc", "add", func(a, b int) int { return a + b })
//	reg.AddService("calc", "div", func(ctx context.Context, a, b float64) (float64, error) {
//		if b == 0 {
//			return 0, errors.New("division by zero")
//		}
//		return a / b, nil
//	})
//
// Signatures are checked once, in AddService: channels, funcs, unsafe
// pointers and complex numbers cannot cross the wire, and a misuse panics with
// a message naming the namespace, the service and the offending type, as
// net/http's mux does for a bad pattern. The decoders and encoders a service
// needs are prepared then too, never per call.
//
// # Layers
//
// Inherit returns a child layer that sees every namespace of its parents.
// A child cannot add services to a namespace a parent defined, but it may
// Define a namespace of the same name, which shadows the parent's whole
// namespace. Hosts use layers to give each plugin its own capabilities: the
// shared services live in the parent, and each plugin is bound to a child
// holding what only it may call.
//
// A Registry is safe for concurrent use; services may be added while it is
// being served.
package registry
