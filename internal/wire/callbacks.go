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

// StreamSink sends the items of a stream a served call returns
// (PROTOCOL.md section 6, streams). The engine's served calls carry one in
// their context; the registry pumps a stream result into it.
type StreamSink interface {
	// Accepts reports why the caller cannot take a stream, nil if it can:
	// asked before the service runs.
	Accepts() error
	// Open tells the caller that a stream follows.
	Open() error
	// MinBlob is the size from which a []byte item travels as a blob, -1
	// when the caller takes none.
	MinBlob() int
	// Emit sends one item: reply, the JSON array of it, and the blobs
	// reply names. It waits while the caller's credit is spent, and fails
	// once the call is canceled or the connection ends.
	Emit(reply []byte, blobs [][]byte) error
}

type streamSinkKey struct{}

// StreamSinkKey is the context key under which a served call's context
// holds its StreamSink.
var StreamSinkKey any = streamSinkKey{}

// StreamSinkFrom returns the StreamSink ctx carries, nil if none.
func StreamSinkFrom(ctx context.Context) StreamSink {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(StreamSinkKey).(StreamSink)
	return s
}
