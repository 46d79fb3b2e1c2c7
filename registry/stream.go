package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/hostcall/hostcall/internal/jsonfast"
	"github.com/hostcall/hostcall/internal/wire"
)

// Streams (PROTOCOL.md section 6). A service may return a stream as its
// only result besides an error: an iter.Seq[T], an iter.Seq2[T, error], a
// <-chan T, or an io.Reader or io.ReadCloser (a stream of []byte chunks).
// Its items travel to the caller one frame each, paced by the caller's
// credit, while the service's call goes on; the call ends with the stream.

type streamKind = wire.StreamKind

const (
	noStream     = wire.NoStream
	seqStream    = wire.SeqStream
	seq2Stream   = wire.Seq2Stream
	chanStream   = wire.ChanStream
	readerStream = wire.ReaderStream
)

// ChunkSize is the size of the chunks an io.Reader stream is read in.
const ChunkSize = 64 << 10

var streamOf = wire.StreamOf

// checkStream checks result i of func type t, a stream whose items are of
// type item, in direction d.
func checkStream(t reflect.Type, i int, item reflect.Type, d direction) error {
	if n := t.NumOut(); n > 2 || n == 2 && (i != 0 || t.Out(1) != errorType) {
		return fmt.Errorf("result %d (%v): a stream must be the only result, but for a trailing error", i, t.Out(i))
	}
	if err := checkType(item, d); err != nil {
		return fmt.Errorf("result %d (%v): items: %v", i, t.Out(i), err)
	}
	return nil
}

// prepareStream records whether the service returns a stream, and how its
// items encode.
func (s *Service) prepareStream() {
	if s.results != 1 {
		return
	}
	kind, item := streamOf(s.typ.Out(0))
	if kind == noStream {
		return
	}
	s.stream = kind
	s.itemRaw = []bool{item == bytesType}
	s.itemValidate = []bool{writesRawJSON(item)}
	s.itemEncs = []*jsonfast.Encoder{resultEncoders.For(item)}
}

// pump sends the items of the stream v to the caller through the call's
// StreamSink, until the stream ends, fails or the call is canceled.
// streamable reports why the caller cannot take the stream the service
// returns, nil if it can.
func (s *Service) streamable(ctx context.Context) error {
	sink := wire.StreamSinkFrom(ctx)
	if sink == nil {
		return fmt.Errorf("%s: %w: returns a stream, but is not called over a connection", s.full, ErrResult)
	}
	if err := sink.Accepts(); err != nil {
		return fmt.Errorf("%s: %w", s.full, err)
	}
	return nil
}

func (s *Service) pump(ctx context.Context, v reflect.Value) error {
	sink := wire.StreamSinkFrom(ctx)
	if err := sink.Open(); err != nil {
		return fmt.Errorf("%s: %w", s.full, err)
	}
	if v.IsNil() {
		return nil // a nil stream is an empty one
	}
	minBlob := sink.MinBlob()
	emit := func(item reflect.Value) error {
		reply, blobs, err := s.encode(wire.GetBuf(), []reflect.Value{item}, s.itemRaw, s.itemValidate, s.itemEncs, minBlob, "item")
		if err == nil {
			err = sink.Emit(reply, blobs)
		}
		wire.PutBuf(reply)
		return err
	}
	switch s.stream {
	case seqStream:
		var err error
		for item := range v.Seq() {
			if err = emit(item); err != nil {
				break
			}
		}
		return err
	case seq2Stream:
		var err error
		for item, e := range v.Seq2() {
			if !e.IsNil() {
				e := e.Interface().(error)
				err = &ServiceError{Service: s.full, Err: e, msg: e.Error()}
				break
			}
			if err = emit(item); err != nil {
				break
			}
		}
		return err
	case chanStream:
		return s.pumpChan(ctx, v, emit)
	}
	return s.pumpReader(ctx, v.Interface().(io.Reader), emit)
}

func (s *Service) pumpChan(ctx context.Context, ch reflect.Value, emit func(reflect.Value) error) error {
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: ch},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
	}
	for {
		chosen, item, ok := reflect.Select(cases)
		switch {
		case chosen == 1:
			return ctx.Err()
		case !ok:
			return nil
		}
		if err := emit(item); err != nil {
			return err
		}
	}
}

// pumpReader sends r in chunks of at most ChunkSize bytes, and closes it
// when it can be closed.
func (s *Service) pumpReader(ctx context.Context, r io.Reader, emit func(reflect.Value) error) (err error) {
	if c, ok := r.(io.Closer); ok {
		defer func() {
			if cerr := c.Close(); err == nil && cerr != nil {
				err = &ServiceError{Service: s.full, Err: cerr, msg: cerr.Error()}
			}
		}()
	}
	for {
		chunk := make([]byte, ChunkSize) // the writer may hold it until it is written
		n, rerr := r.Read(chunk)
		if n > 0 {
			if err := emit(reflect.ValueOf(chunk[:n])); err != nil {
				return err
			}
		}
		switch {
		case errors.Is(rerr, io.EOF):
			return nil
		case rerr != nil:
			return &ServiceError{Service: s.full, Err: rerr, msg: rerr.Error()}
		case ctx.Err() != nil:
			return ctx.Err()
		}
	}
}

// A stream argument travels as a callback that takes no arguments and
// returns the stream: the service's end opens it by calling it, and the
// items come as that callback's streamed response.

var contextTypes = []reflect.Type{contextType}

// openerType is the type of the func that opens a stream argument of type
// t at the service's end: func(context.Context) (t, error).
func openerType(t reflect.Type) reflect.Type {
	return reflect.FuncOf(contextTypes, []reflect.Type{t, errorType}, false)
}

// Opener returns a func the caller lends for the stream argument v: it
// returns v, for the registry's invoker to stream back.
func Opener(v reflect.Value) reflect.Value {
	t := reflect.FuncOf(nil, []reflect.Type{v.Type(), errorType}, false)
	return reflect.MakeFunc(t, func([]reflect.Value) []reflect.Value {
		return []reflect.Value{v, reflect.Zero(errorType)}
	})
}

// streamArg returns the value a service receives for stream parameter p:
// a stream of p's type whose items come from open. An iterator opens it
// when it is ranged over, an io.Reader at its first Read; a channel is
// opened at once and fed until the stream or the call ends.
func streamArg(ctx context.Context, p param, open reflect.Value) reflect.Value {
	call := func() (reflect.Value, error) {
		out := open.Call([]reflect.Value{reflect.ValueOf(&ctx).Elem()})
		if e := out[1]; !e.IsNil() {
			return reflect.Value{}, e.Interface().(error)
		}
		return out[0], nil
	}
	switch p.stream {
	case seqStream, seq2Stream:
		two := p.stream == seq2Stream
		return reflect.MakeFunc(p.typ, func(args []reflect.Value) []reflect.Value {
			seq, err := call()
			if err != nil {
				if two {
					_, item := streamOf(p.typ)
					args[0].Call([]reflect.Value{reflect.Zero(item), reflect.ValueOf(&err).Elem()})
				}
				return nil
			}
			seq.Call(args)
			return nil
		})
	case chanStream:
		ch, err := call()
		if err != nil {
			_, item := streamOf(p.typ)
			c := reflect.MakeChan(reflect.ChanOf(reflect.BothDir, item), 0)
			c.Close()
			return c.Convert(p.typ)
		}
		return ch
	}
	return reflect.ValueOf(&lazyReader{open: call}).Convert(p.typ)
}

// lazyReader opens a stream argument of type io.Reader at its first Read.
type lazyReader struct {
	open func() (reflect.Value, error)
	r    io.ReadCloser
	err  error
}

func (l *lazyReader) Read(p []byte) (int, error) {
	if l.r == nil && l.err == nil {
		v, err := l.open()
		if err != nil {
			l.err = err
		} else {
			l.r = v.Interface().(io.ReadCloser)
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.r.Read(p)
}

func (l *lazyReader) Close() error {
	if l.r != nil {
		return l.r.Close()
	}
	return nil
}
