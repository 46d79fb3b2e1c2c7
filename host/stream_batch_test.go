package host_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/internal/wire"
)

// A consumer that takes batches (its hello lists "batches") gets several
// items per frame from a producer faster than the pipe: the test plays the
// plugin byte for byte, reads nothing for a while so that the host's
// writer falls behind, then checks that every item came once, in order,
// in far fewer frames than items, and that the credit it grants, counted
// from the frames' bytes as PROTOCOL.md says, keeps the stream flowing to
// its end (a miscount stalls it: the watchdog).
func TestStreamBatches(t *testing.T) {
	hosttest.CheckGoroutines(t)
	const n = 200000
	p := hosttest.NewPipes(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- host.Serve(ctx, hosttest.Registry(), p.HostR, p.HostW) }()
	fmt.Fprintf(p.PluginW, `{"sequence":1,"type":"hello","args":{"protocol":2,"features":["cancel","timeout","codes","streams","batches"],"maxFrame":67108864}}`+"\n")
	fmt.Fprintf(p.PluginW, `{"sequence":2,"type":"call","namespace":"stream","name":"count","args":[%d]}`+"\n", n)
	time.Sleep(200 * time.Millisecond) // the host fills the pipe and its queue meanwhile

	done := make(chan error, 1)
	var frames, items int
	go func() {
		done <- func() error {
			in := bufio.NewReaderSize(p.PluginR, 1<<20)
			var consumed int64
			outstanding := int64(0) // bytes received and not yet granted back
			// First the consumer grants nothing: the producer must stop
			// at the window (and one frame), by its own count of what it
			// sent. Seen as a pause of the stream; granting then.
			holding := true
			p.PluginR.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			var partial []byte
			for {
				line, err := in.ReadBytes('\n')
				line = append(partial, line...)
				partial = nil
				if holding && errors.Is(err, os.ErrDeadlineExceeded) {
					partial = line
					if outstanding > wire.StreamWindow+64<<10 {
						return fmt.Errorf("with no credit granted the host sent %d bytes of item frames: past the window of %d and one frame", outstanding, wire.StreamWindow)
					}
					holding = false
					p.PluginR.SetReadDeadline(time.Time{})
					fmt.Fprintf(p.PluginW, `{"sequence":2,"type":"credit","args":%d}`+"\n", consumed)
					outstanding -= consumed
					consumed = 0
					continue
				}
				if err != nil {
					return fmt.Errorf("after %d items: %v", items, err)
				}
				var resp wire.Response
				if err := wire.ParseResponse(line, &resp); err != nil {
					return fmt.Errorf("frame %q: %v", line, err)
				}
				switch {
				case resp.Sequence == 1:
					continue // the hello answer
				case resp.Sequence != 2:
					return fmt.Errorf("frame %q", line)
				case !resp.More:
					if string(resp.Reply) != "[]" || resp.Error != "" {
						return fmt.Errorf("final response %q", line)
					}
					return nil
				case resp.Reply == nil:
					continue // the opening frame
				}
				frames++
				// The producer's count must match: what it sent without
				// credit never exceeds the window and one batch frame.
				if outstanding += int64(len(line) - 1); outstanding > wire.StreamWindow+64<<10 {
					return fmt.Errorf("after %d items the host sent %d bytes of item frames past the credit granted: its credit count is off", items, outstanding-wire.StreamWindow)
				}
				err = wire.EachElement(resp.Reply, func(elem []byte) {
					if string(elem) != strconv.Itoa(items) && err == nil {
						err = fmt.Errorf("item %d is %s", items, elem)
					}
					items++
				})
				if err != nil {
					return err
				}
				// Credit: the object's bytes, without its newline.
				if consumed += int64(len(line) - 1); consumed >= wire.StreamWindow/2 && !holding {
					fmt.Fprintf(p.PluginW, `{"sequence":2,"type":"credit","args":%d}`+"\n", consumed)
					outstanding -= consumed
					consumed = 0
				}
			}
		}()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("stream stalled after %d items in %d frames: credit miscounted?", items, frames)
	}
	if items != n {
		t.Fatalf("%d items, want %d", items, n)
	}
	if frames*10 > items {
		t.Errorf("%d items came in %d frames: the host did not batch behind a busy writer", items, frames)
	}
	t.Logf("%d items in %d frames", items, frames)
	p.PluginW.Close()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// A consumer that does not list batches gets one item per frame.
func TestStreamNoBatchesWithoutTheFeature(t *testing.T) {
	hosttest.CheckGoroutines(t)
	const n = 20000
	p := hosttest.NewPipes(t)
	served := make(chan error, 1)
	go func() { served <- host.Serve(context.Background(), hosttest.Registry(), p.HostR, p.HostW) }()
	fmt.Fprintf(p.PluginW, `{"sequence":1,"type":"hello","args":{"protocol":2,"features":["cancel","timeout","codes","streams"],"maxFrame":67108864}}`+"\n")
	fmt.Fprintf(p.PluginW, `{"sequence":2,"type":"call","namespace":"stream","name":"count","args":[%d]}`+"\n", n)
	time.Sleep(100 * time.Millisecond)
	in := bufio.NewReaderSize(p.PluginR, 1<<20)
	items := 0
	for items < n {
		line, err := in.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		var resp wire.Response
		if err := wire.ParseResponse(line, &resp); err != nil || resp.Sequence != 2 || !resp.More || resp.Reply == nil {
			continue
		}
		if want := fmt.Sprintf("[%d]", items); string(resp.Reply) != want {
			t.Fatalf("item frame %s, want reply %s", line, want)
		}
		items++
	}
	p.PluginW.Close()
	<-served
}
