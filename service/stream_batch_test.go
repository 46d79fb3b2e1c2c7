package service_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/internal/wire"
	"github.com/hostcall/hostcall/service"
)

// A host's item frames: a batch of several items is taken in order; a
// reply that is not an array of items ends the stream with ErrBadReply
// and a cancel, whatever came before.
func TestStreamItemFrames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []string // the replies of the item frames the host sends
		want  []int
		bad   bool
	}{
		{name: "batches", items: []string{"[0,1,2]", "[3]", "[ 4 , 5 ]"}, want: []int{0, 1, 2, 3, 4, 5}},
		{name: "null carries no item", items: []string{"[0]", "null", "[1]"}, want: []int{0, 1}},
		{name: "not an array", items: []string{"[0,1]", "5"}, want: []int{0, 1}, bad: true},
		{name: "empty", items: []string{"[0]", "[]"}, want: []int{0}, bad: true},
		{name: "not an int", items: []string{`[0,"one",2]`}, want: []int{0}, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			p := hosttest.NewPipes(t)
			c := service.NewClient(p.PluginR, p.PluginW)
			defer c.Close()
			host := bufio.NewReader(p.HostR)
			var seq uint64
			for seq == 0 { // the hello, answered; then the call
				line, err := host.ReadBytes('\n')
				if err != nil {
					t.Fatal(err)
				}
				var req wire.Request
				if err := wire.ParseRequest(line, &req); err != nil {
					t.Fatal(err)
				}
				switch req.Type {
				case "hello":
					fmt.Fprintf(p.HostW, `{"sequence":%d,"reply":{"protocol":2,"features":["cancel","timeout","codes","streams","batches","serve"],"maxFrame":67108864}}`+"\n", req.Sequence)
					var count func(ctx context.Context, n int) (iter.Seq2[int, error], error)
					c.GetService("s", "count", &count)
					type result struct {
						got []int
						err error
					}
					done := make(chan result, 1)
					go func() {
						var r result
						items, err := count(context.Background(), 6)
						if err != nil {
							done <- result{err: err}
							return
						}
						for v, err := range items {
							if err != nil {
								r.err = err
								break
							}
							r.got = append(r.got, v)
						}
						done <- r
					}()
					defer func() {
						select {
						case r := <-done:
							if fmt.Sprint(r.got) != fmt.Sprint(tc.want) || (r.err != nil) != tc.bad ||
								tc.bad && !errors.Is(r.err, service.ErrBadReply) {
								t.Errorf("items %v, error %v; want %v, bad reply %v", r.got, r.err, tc.want, tc.bad)
							}
						case <-time.After(30 * time.Second):
							t.Error("the consumer hung")
						}
					}()
				case "call":
					seq = req.Sequence
				}
			}
			fmt.Fprintf(p.HostW, `{"sequence":%d,"more":true}`+"\n", seq)
			for _, r := range tc.items {
				fmt.Fprintf(p.HostW, `{"sequence":%d,"more":true,"reply":%s}`+"\n", seq, r)
			}
			if !tc.bad {
				fmt.Fprintf(p.HostW, `{"sequence":%d,"reply":[]}`+"\n", seq)
				return
			}
			if tc.name == "not an int" {
				return // a value the consumer cannot decode: its own error, after the items before it
			}
			line, err := host.ReadBytes('\n')
			if err != nil || !strings.Contains(string(line), `"type":"cancel"`) {
				t.Errorf("after a bad item frame the client sent %q, %v; want a cancel", line, err)
			}
		})
	}
}
