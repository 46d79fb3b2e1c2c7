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
// A parameter may be a func: a callback. The caller passes a func of its
// own, and the service receives a func that calls it back over the
// connection, valid until the service returns (after, it returns an error
// matching ErrClosed without calling). A callback returns error last, for
// the calls that cannot be made; its other parameters and results cross the
// wire both ways, and a callback without a context of its own runs under
// the service's:
//
//	reg.AddService("index", "run", func(ctx context.Context, paths []string, progress func(done int) error) error {
//		for i, p := range paths {
//			if err := indexOne(ctx, p); err != nil {
//				return err
//			}
//			if err := progress(i + 1); err != nil {
//				return err // the caller's error, or its end
//			}
//		}
//		return nil
//	})
//
// A service may return a stream as its only result (but for an error):
// an iter.Seq[T], an iter.Seq2[T, error] (its error ends the stream), a
// <-chan T or an io.Reader. The caller receives the same type and reads the
// items as the service produces them, paced by the caller: a slow reader
// makes the producer wait, and a caller that stops (breaks out of its range
// loop, cancels) cancels the service's context. A parameter may be a stream
// too, which the caller produces while the service reads it:
//
//	reg.AddService("events", "watch", func(ctx context.Context, topic string) iter.Seq2[Event, error] {
//		return func(yield func(Event, error) bool) {
//			for ev := range subscribe(ctx, topic) {
//				if !yield(ev, nil) {
//					return // the caller stopped
//				}
//			}
//		}
//	})
//
// A producer must end when its context ends: a <-chan T producer selects
// on ctx.Done() when it sends.
//
// A service's error crosses with its message; RegisterError gives chosen
// errors a code of their own, so that the caller's errors.Is and errors.As
// find them.
//
// Signatures are checked once, in AddService: channels and funcs (but
// callbacks and streams), unsafe pointers and complex numbers cannot cross
// the wire,
// and a misuse panics with
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
