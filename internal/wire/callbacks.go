package wire

import (
	"context"
	"reflect"
)

// Callbacks makes the funcs a served call receives for its func-typed
// parameters (PROTOCOL.md section 6, callbacks). The engine puts one in the
// context of the calls it serves; the registry asks it for each callback
// argument.
type Callbacks interface {
	// Callback returns a func of type ft that calls the caller's callback
	// id, with ctx (the served call's context) for a callback that takes
	// none of its own; what names it in errors. After end, the func
	// returns an error without calling: its call has returned.
	Callback(ctx context.Context, id uint64, ft reflect.Type, what string) (fn reflect.Value, end func())
}

type callbacksKey struct{}

// WithCallbacks returns ctx carrying cb.
func WithCallbacks(ctx context.Context, cb Callbacks) context.Context {
	return context.WithValue(ctx, callbacksKey{}, cb)
}

// CallbacksFrom returns the Callbacks ctx carries, nil if none.
func CallbacksFrom(ctx context.Context) Callbacks {
	if ctx == nil {
		return nil
	}
	cb, _ := ctx.Value(callbacksKey{}).(Callbacks)
	return cb
}
