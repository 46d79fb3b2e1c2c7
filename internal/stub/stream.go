package stub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync/atomic"

	"github.com/hostcall/hostcall/internal/wire"
)

// Items is the consuming end of a stream (engine.Stream): Next returns
// each item's JSON array and blobs, then io.EOF or the error that ended
// the stream; Close abandons it.
type Items interface {
	// Next returns the next item, its JSON value, and the blobs of its
	// frame; io.EOF at the end. The item's capacity holds at least one
	// byte after it (the ',' or ']' of its frame's array), which the
	// decoder reads to end a number.
	Next(ctx context.Context) (item []byte, blobs [][]byte, err error)
	Close()
}

// IsStream reports whether the func's result is a stream.
func (s *Sig) IsStream() bool { return s.stream != wire.NoStream }

// DecodeReply decodes a call's answer: the results of reply, or, for a
// func whose result is a stream, a value of the stream's type reading
// items, with ctx (nil: none) for its waits. A stream result with no
// stream (an answer without items) is an empty stream.
func (s *Sig) DecodeReply(ctx context.Context, reply []byte, blobs [][]byte, items Items) ([]reflect.Value, error) {
	if s.stream == wire.NoStream {
		if items != nil {
			items.Close()
			return nil, fmt.Errorf("%s: %w: the %s answered with a stream, %v expects none", s.what, wire.ErrBadReply, s.peer, s.typ)
		}
		return s.DecodeResults(reply, blobs)
	}
	if items == nil {
		items = emptyItems{}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	r := &streamReader{sig: s, ctx: ctx, items: items}
	var v reflect.Value
	switch s.stream {
	case wire.SeqStream, wire.Seq2Stream:
		v = reflect.MakeFunc(s.outs[0], r.iterate)
	case wire.ChanStream:
		v = r.channel()
	default:
		v = reflect.ValueOf(io.ReadCloser(r))
	}
	return []reflect.Value{v}, nil
}

type emptyItems struct{}

func (emptyItems) Next(context.Context) ([]byte, [][]byte, error) { return nil, nil, io.EOF }
func (emptyItems) Close()                                         {}

// streamReader turns items into the values of a stream result.
type streamReader struct {
	sig   *Sig
	ctx   context.Context
	items Items
	used  atomic.Bool // a stream is read once
	n     int         // items read, for messages
	buf   []byte      // io.Reader: what is left of the current chunk
	err   error       // io.Reader: the error that ended it
}

// next returns the next item decoded, io.EOF at the end.
func (r *streamReader) next() (reflect.Value, error) {
	item, blobs, err := r.items.Next(r.ctx)
	if err != nil {
		return reflect.Value{}, err
	}
	// The decoder takes a number that ends its input for a truncated one:
	// the byte after the item (the ',' or ']' of its frame's array, which
	// the item's capacity still holds) ends it instead.
	in := item
	if cap(item) > len(item) {
		in = item[:len(item)+1]
	}
	iter := wire.JSON.BorrowIterator(in)
	defer wire.JSON.ReturnIterator(iter)
	v, err := r.sig.decodeValue(iter, item, true, r.n, r.sig.item, blobs, "stream item")
	r.n++
	return v, err
}

// iterate is the body of an iter.Seq or iter.Seq2 result: it yields each
// item, and stops the producer when the loop breaks. A Seq2 gets the
// error that ended the stream as its last pair; a Seq ends early.
func (r *streamReader) iterate(args []reflect.Value) []reflect.Value {
	yield := args[0]
	two := r.sig.stream == wire.Seq2Stream
	errZero := reflect.Zero(reflect.TypeOf((*error)(nil)).Elem())
	if !r.used.CompareAndSwap(false, true) {
		if two {
			err := fmt.Errorf("%s: the stream was read already: a stream is read once", r.sig.what)
			yield.Call([]reflect.Value{reflect.Zero(r.sig.item), reflect.ValueOf(&err).Elem()})
		}
		return nil
	}
	defer r.items.Close()
	for {
		v, err := r.next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			if two {
				yield.Call([]reflect.Value{reflect.Zero(r.sig.item), reflect.ValueOf(&err).Elem()})
			}
			return nil
		}
		var more bool
		if two {
			more = yield.Call([]reflect.Value{v, errZero})[0].Bool()
		} else {
			more = yield.Call([]reflect.Value{v})[0].Bool()
		}
		if !more {
			return nil
		}
	}
}

// channel returns a <-chan result, fed by a goroutine until the stream
// ends or the call's context does; then the channel is closed.
func (r *streamReader) channel() reflect.Value {
	ch := reflect.MakeChan(reflect.ChanOf(reflect.BothDir, r.sig.item), 0)
	r.used.Store(true)
	go func() {
		defer ch.Close()
		defer r.items.Close()
		done := reflect.ValueOf(r.ctx.Done())
		for {
			v, err := r.next()
			if err != nil {
				return
			}
			chosen, _, _ := reflect.Select([]reflect.SelectCase{
				{Dir: reflect.SelectSend, Chan: ch, Send: v},
				{Dir: reflect.SelectRecv, Chan: done},
			})
			if chosen == 1 {
				return
			}
		}
	}()
	return ch.Convert(r.sig.outs[0])
}

// Read reads an io.Reader result's chunks.
func (r *streamReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		v, err := r.next()
		if err != nil {
			r.err = err
			r.items.Close()
			continue
		}
		r.buf = v.Bytes()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close abandons the rest of an io.Reader result.
func (r *streamReader) Close() error {
	r.items.Close()
	if r.err == nil {
		r.err = fmt.Errorf("%s: read after Close", r.sig.what)
	}
	return nil
}
