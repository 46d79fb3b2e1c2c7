package wire

import (
	"io"
	"reflect"
)

// StreamKind is the kind of stream a func result is (PROTOCOL.md section
// 6, streams): the Go types that travel as streams.
type StreamKind uint8

const (
	NoStream     StreamKind = iota
	SeqStream               // iter.Seq[T]
	Seq2Stream              // iter.Seq2[T, error]
	ChanStream              // <-chan T
	ReaderStream            // io.Reader, io.ReadCloser: []byte chunks
)

var (
	errorType      = reflect.TypeOf((*error)(nil)).Elem()
	bytesType      = reflect.TypeOf([]byte(nil))
	readerType     = reflect.TypeOf((*io.Reader)(nil)).Elem()
	readCloserType = reflect.TypeOf((*io.ReadCloser)(nil)).Elem()
)

// StreamOf returns the kind of stream a value of type t is, and the type
// of its items; NoStream for any other type.
func StreamOf(t reflect.Type) (StreamKind, reflect.Type) {
	switch {
	case t == readerType || t == readCloserType:
		return ReaderStream, bytesType
	case t.Kind() == reflect.Chan && t.ChanDir() == reflect.RecvDir:
		return ChanStream, t.Elem()
	case t.Kind() == reflect.Func && t.NumIn() == 1 && t.NumOut() == 0 && !t.IsVariadic():
		y := t.In(0)
		if y.Kind() != reflect.Func || y.IsVariadic() || y.NumOut() != 1 || y.Out(0).Kind() != reflect.Bool {
			return NoStream, nil
		}
		switch {
		case y.NumIn() == 1:
			return SeqStream, y.In(0)
		case y.NumIn() == 2 && y.In(1) == errorType:
			return Seq2Stream, y.In(0)
		}
	}
	return NoStream, nil
}
