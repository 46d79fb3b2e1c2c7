package service_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/service"
)

// fuzzWatchdog bounds each wait of FuzzClientResponses: a call or a Close
// still blocked after it is a hang. Liveness only.
const fuzzWatchdog = 10 * time.Second

// requestSink is the host's end of the client's requests: it counts the
// frames written, one per line.
type requestSink struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan struct{}
}

func (s *requestSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	for range bytes.Count(p, []byte("\n")) {
		select {
		case s.lines <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// fuzzCall is one call the fuzzed client has pending, in the order of their
// sequences: hello is 1, these are 2 on.
var fuzzCalls = []struct {
	name string
	call func(c *service.Client) (any, error)
}{
	{"add", func(c *service.Client) (any, error) {
		var add func(int, int) (int, error)
		c.GetService("calc", "add", &add)
		return add(1, 2)
	}},
	{"str", func(c *service.Client) (any, error) {
		var f func(string) (string, error)
		c.GetService("calc", "str", &f)
		return f("x")
	}},
	{"blob", func(c *service.Client) (any, error) {
		var f func([]byte) ([]byte, error)
		c.GetService("calc", "echo", &f)
		return f([]byte("abc"))
	}},
	{"none", func(c *service.Client) (any, error) {
		var f func(context.Context) error
		c.GetService("calc", "wait", &f)
		return nil, f(context.Background())
	}},
	{"multi", func(c *service.Client) (any, error) {
		var f func(string, ...string) (string, []byte, map[string]int, error)
		c.GetService("calc", "multi", &f)
		s, b, m, err := f("-", "a", "b")
		return fmt.Sprint(s, b, m), err
	}},
	{"listServices", func(c *service.Client) (any, error) { return c.ListServices(context.Background(), "calc") }},
	{"hasNamespace", func(c *service.Client) (any, error) { return c.HasNamespace(context.Background(), "calc") }},
	{"getManifest", func(c *service.Client) (any, error) {
		var m map[string]any
		err := c.GetManifest(context.Background(), "calc", &m)
		return m, err
	}},
}

// FuzzClientResponses feeds fuzzed bytes to a Client as its host's stream,
// with a hello and a call of each kind pending (sequences 1 to 9). The
// client must not panic, every call must return once the stream has ended,
// a call may succeed only if the stream holds its sequence, and Close must
// return.
func FuzzClientResponses(f *testing.F) {
	f.Add([]byte(`{"sequence":1,"reply":{"protocol":2,"features":["cancel","timeout","codes","blobs"],"maxFrame":4096}}` + "\n" +
		`{"sequence":2,"reply":[3]}{"sequence":3,"reply":["s"]}{"sequence":4,"blobs":[3],"reply":[0]}` + "\nabc" +
		`{"sequence":5,"reply":[]}{"sequence":6,"reply":["a-b","AQI=",{"k":1}]}{"sequence":7,"services":["add"]}{"sequence":8,"ok":true}{"sequence":9,"reply":{"d":1}}`))
	f.Add([]byte(`]] garbage {"sequence":2,"reply":[1,,2]}{"sequence":3}{"sequence":3,"reply":["dup"]}{"sequence":99,"reply":[1]}{"sequence":4,"blobs":[-1]}{"sequence":5,"type":"call"}`))
	f.Add([]byte(`{"sequence":2,"reply":["` + string(bytes.Repeat([]byte("x"), 5000)) + `"]}{"sequence":3,"reply":["` + "\xff" + `"]}{"sequence":4,"blobs":[9999],"reply":[0]}`))
	f.Add([]byte(`{"sequence":2,"reply":` + string(bytes.Repeat([]byte("["), 2000)) + `}{"sequence":3,"reply":["a`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pr, pw := io.Pipe()
		sink := &requestSink{lines: make(chan struct{}, 16)}
		c := service.NewClient(pr, sink, service.WithMaxFrameSize(4096))
		awaitLine := func(what string) {
			select {
			case <-sink.lines:
			case <-time.After(fuzzWatchdog):
				t.Fatalf("the client did not write %s within %v", what, fuzzWatchdog)
			}
		}
		awaitLine("hello")
		type result struct {
			v   any
			err error
		}
		results := make([]chan result, len(fuzzCalls))
		for i, fc := range fuzzCalls {
			results[i] = make(chan result, 1)
			go func() {
				v, err := fc.call(c)
				results[i] <- result{v, err}
			}()
			awaitLine(fc.name) // so that call i has sequence i+2
		}
		fed := make(chan struct{})
		go func() {
			defer close(fed)
			pw.Write(data) // fails once the client closes its end
			pw.Close()
		}()
		for i, fc := range fuzzCalls {
			select {
			case r := <-results[i]:
				seq := strconv.Itoa(i + 2)
				if r.err == nil && !bytes.Contains(data, []byte(seq)) {
					t.Fatalf("%s (sequence %s) returned %v with no response of that sequence in the stream", fc.name, seq, r.v)
				}
			case <-time.After(fuzzWatchdog):
				t.Fatalf("%s did not return within %v of the stream's end", fc.name, fuzzWatchdog)
			}
		}
		closed := make(chan struct{})
		go func() {
			c.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(fuzzWatchdog):
			t.Fatalf("Close did not return within %v", fuzzWatchdog)
		}
		<-fed
	})
}
