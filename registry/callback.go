package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hostcall/hostcall/internal/wire"
)

// A func-typed parameter is a callback (PROTOCOL.md section 6): its
// argument arrives as {"callback":id}, or null for a nil func, and the
// service receives a func that calls the caller's func back over the
// connection, valid until the service returns.
//
// Decoding an argument leaves the callback's id in its place (a uint64
// Value, 0 for null); makeCallbacks then swaps each id for the func the
// connection makes, once the arguments are all decoded.

var uint64Type = reflect.TypeOf(uint64(0))

// callbackID decodes the argument of func parameter p, at index i.
func (s *Service) callbackID(raw []byte, p param, i int) (reflect.Value, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return reflect.Zero(uint64Type), nil
	}
	var arg struct {
		Callback uint64 `json:"callback"`
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &arg) != nil || arg.Callback == 0 {
		return reflect.Value{}, s.badArgs("argument %d (%v): want a callback, {\"callback\":id} with id > 0, or null, got %s",
			i, p.typ, wire.Clip(raw))
	}
	return reflect.ValueOf(arg.Callback), nil
}

// makeCallbacks replaces the ids decodeArgs left in in with the funcs that
// call them, and returns what ends them.
func (s *Service) makeCallbacks(ctx context.Context, in []reflect.Value) (ends []func(), err error) {
	first := 0
	if s.hasCtx {
		first = 1
	}
	cb := wire.CallbacksFrom(ctx)
	for k, p := range s.params {
		if !p.fn {
			continue
		}
		j := first + k
		id := in[j].Uint()
		if id == 0 {
			in[j] = reflect.Zero(p.typ)
			continue
		}
		if cb == nil {
			return ends, s.badArgs("argument %d (%v): a callback, but the service is not called over a connection", k, p.typ)
		}
		what := fmt.Sprintf("%s callback (argument %d)", s.full, k)
		if p.stream != noStream {
			what = fmt.Sprintf("%s stream (argument %d)", s.full, k)
			open, end := cb.Callback(ctx, id, openerType(p.typ), what)
			in[j] = streamArg(ctx, p, open)
			ends = append(ends, end)
			continue
		}
		fn, end := cb.Callback(ctx, id, p.typ, what)
		in[j] = fn
		ends = append(ends, end)
	}
	return ends, nil
}

func endCallbacks(ends []func()) {
	for _, end := range ends {
		end()
	}
}
