package wire

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestEachElement(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: `[1]`, want: []string{"1"}},
		{in: `[1,"a,]",{"b":[2,3]},null, [ ] ]`, want: []string{"1", `"a,]"`, `{"b":[2,3]}`, "null", "[ ]"}},
		{in: ` [ 7 , 8 ] `, want: []string{"7", "8"}},
		{in: `[]`},
		{in: `null`},
		{in: `5`, err: true},
		{in: `[1,]`, want: []string{"1"}, err: true},
		{in: `[1 2]`, want: []string{"1"}, err: true},
		{in: `[1]x`, want: []string{"1"}, err: true},
		{in: `[1`, want: []string{"1"}, err: true},
	} {
		var got []string
		err := EachElement([]byte(tc.in), func(e []byte) { got = append(got, string(e)) })
		if (err != nil) != tc.err || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("EachElement(%s) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// blockedWriter is a writer whose Write waits until released, so that
// frames stay in the queue.
type blockedWriter struct {
	release chan struct{}
	buf     bytes.Buffer
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	<-w.release
	return w.buf.Write(p)
}

func TestExtend(t *testing.T) {
	bw := &blockedWriter{release: make(chan struct{})}
	w := NewWriter(bw, 0)
	a, b := new(int), new(int)
	// The first frame is taken by the writer's goroutine at once (its
	// write blocks); frames queued behind it may be extended.
	if err := w.SendExtendable(context.Background(), []byte(`{"sequence":1,"more":true,"reply":[0]}`+"\n"), a); err != nil {
		t.Fatal(err)
	}
	for w.queued() > 0 { // wait until the loop took it
		time.Sleep(time.Millisecond)
	}
	if err := w.SendExtendable(context.Background(), []byte(`{"sequence":1,"more":true,"reply":[1]}`+"\n"), a); err != nil {
		t.Fatal(err)
	}
	if !w.Extend(a, []byte("2"), 1000) || !w.Extend(a, []byte(`"x"`), 1000) {
		t.Fatal("Extend refused the queue's last frame, its owner's")
	}
	if w.Extend(b, []byte("9"), 1000) {
		t.Fatal("Extend took a frame of another owner")
	}
	if w.Extend(a, []byte("99999"), 40) {
		t.Fatal("Extend went past the size limit")
	}
	// Another frame behind it: the owner's is no longer the last.
	w.Send(context.Background(), []byte(`{"sequence":3,"reply":[]}`+"\n"))
	if w.Extend(a, []byte("3"), 1000) {
		t.Fatal("Extend changed a frame that is not the queue's last")
	}
	close(bw.release)
	w.Close(true)
	want := `{"sequence":1,"more":true,"reply":[0]}` + "\n" +
		`{"sequence":1,"more":true,"reply":[1,2,"x"]}` + "\n" +
		`{"sequence":3,"reply":[]}` + "\n"
	if got := bw.buf.String(); got != want {
		t.Errorf("written:\n%s\nwant:\n%s", got, want)
	}
	if w.Extend(a, []byte("4"), 1000) {
		t.Error("Extend after Close")
	}
}

var _ io.Writer = (*blockedWriter)(nil)
