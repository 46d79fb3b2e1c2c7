package service_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

var update = flag.Bool("update", false, "rewrite the > and result lines of the golden transcripts from what the client does")

// TestGoldenTranscripts replays each transcript of testdata/golden/client
// as the host: it checks that the client writes exactly the > lines and
// answers with the < lines. Directives start client actions and check
// their results:
//
//	! call NS NAME ARGS   call NS.NAME with the JSON array ARGS, wanting one result
//	! call0 NS NAME ARGS  the same, for a service without results
//	! callbytes NS NAME ARGS  the same, the result decoded as []byte (shown as a string)
//	! callctx NS NAME ARGS  the same with a context the transcript can cancel
//	! cancel              cancel the context of the last callctx
//	! answered            wait until the client has read the hello answer
//	! hasNamespace NS | getManifest NS | listServices NS
//	! result TEXT         the last action's result: its JSON, or error[SENTINELS]: MESSAGE
//	! eof                 the host closes its stream
//	! serve               the client starts serving pluginRegistry (Client.Serve)
//	! served              wait until Serve has returned
//
// The client is created before the first line; protocol1.txt-style files
// whose name starts with "p1-" create it with WithProtocol1.
func TestGoldenTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/golden/client/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			steps, err := hosttest.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			var opts []service.ClientOption
			if strings.HasPrefix(filepath.Base(file), "p1-") {
				opts = append(opts, service.WithProtocol1())
			}
			got := replayClient(t, steps, opts)
			if *update {
				if err := hosttest.Rewrite(file, got); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type action struct {
	result chan string
	cancel context.CancelFunc
}

func replayClient(t *testing.T, steps []hosttest.Step, opts []service.ClientOption) map[int]string {
	p := hosttest.NewPipes(t)
	c := service.NewClient(p.PluginR, p.PluginW, opts...)
	t.Cleanup(func() { c.Close() })
	lines := make(chan string, 16)
	go func() {
		br := bufio.NewReader(p.HostR)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- strings.TrimSuffix(l, "\n")
		}
	}()
	got := map[int]string{}
	var last *action
	var served chan error
	for _, st := range steps {
		switch st.Kind {
		case ">":
			var l string
			select {
			case l = <-lines:
			case <-time.After(10 * time.Second):
				t.Fatalf("line %d: the client wrote nothing in 10s, want %s", st.Line, st.Text)
			}
			got[st.Line] = "> " + l
			if l != st.Text && !*update {
				t.Errorf("line %d:\n got %s\nwant %s", st.Line, l, st.Text)
			}
		case "<":
			writeHost(t, p.HostW, st.Text+"\n")
		case "<|":
			writeHost(t, p.HostW, st.Text)
		case "!":
			verb, arg, _ := strings.Cut(st.Text, " ")
			switch verb {
			case "call", "call0", "callctx", "callbytes", "hasNamespace", "getManifest", "listServices":
				last = start(t, c, verb, arg)
			case "cancel":
				last.cancel()
			case "answered":
				select {
				case <-service.HelloAnswered(c):
				case <-time.After(10 * time.Second):
					t.Fatalf("line %d: hello not answered in 10s", st.Line)
				}
			case "eof":
				p.HostW.Close()
			case "serve":
				served = make(chan error, 1)
				go func() { served <- c.Serve(context.Background(), goldenPluginRegistry()) }()
			case "served":
				select {
				case err := <-served:
					got[st.Line] = "! served"
					if err != nil {
						t.Errorf("line %d: Serve = %v, want nil at the host's end of stream", st.Line, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("line %d: Serve has not returned in 10s", st.Line)
				}
			case "result":
				var r string
				select {
				case r = <-last.result:
				case <-time.After(10 * time.Second):
					t.Fatalf("line %d: no result in 10s, want %s", st.Line, arg)
				}
				got[st.Line] = "! result " + r
				if r != arg && !*update {
					t.Errorf("line %d: result\n got %s\nwant %s", st.Line, r, arg)
				}
			default:
				t.Fatalf("line %d: unknown directive %q", st.Line, st.Text)
			}
		default:
			t.Fatalf("line %d: %s lines have no meaning in client transcripts", st.Line, st.Kind)
		}
	}
	return got
}

func writeHost(t *testing.T, f *os.File, s string) {
	t.Helper()
	if _, err := f.WriteString(s); err != nil {
		t.Fatalf("writing to the client: %v", err)
	}
}

// start runs one client action in the background.
func start(t *testing.T, c *service.Client, verb, arg string) *action {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a := &action{result: make(chan string, 1), cancel: cancel}
	var run func() (any, error)
	switch verb {
	case "call", "call0", "callctx", "callbytes":
		f := strings.SplitN(arg, " ", 3)
		if len(f) != 3 {
			t.Fatalf("want %s NS NAME ARGS, got %q", verb, arg)
		}
		dec := json.NewDecoder(strings.NewReader(f[2]))
		dec.UseNumber()
		var args []any
		if err := dec.Decode(&args); err != nil {
			t.Fatalf("bad ARGS %q: %v", f[2], err)
		}
		switch verb {
		case "call":
			var fn func(...any) (json.RawMessage, error)
			c.GetService(f[0], f[1], &fn)
			run = func() (any, error) { return fn(args...) }
		case "callbytes":
			var fn func(...any) ([]byte, error)
			c.GetService(f[0], f[1], &fn)
			run = func() (any, error) {
				b, err := fn(args...)
				return string(b), err
			}
		case "call0":
			var fn func(...any) error
			c.GetService(f[0], f[1], &fn)
			run = func() (any, error) { return nil, fn(args...) }
		case "callctx":
			var fn func(context.Context, ...any) (json.RawMessage, error)
			c.GetService(f[0], f[1], &fn)
			run = func() (any, error) { return fn(ctx, args...) }
		}
	case "hasNamespace":
		run = func() (any, error) { return c.HasNamespace(ctx, arg) }
	case "getManifest":
		run = func() (any, error) {
			var m json.RawMessage
			err := c.GetManifest(ctx, arg, &m)
			return m, err
		}
	case "listServices":
		run = func() (any, error) { return c.ListServices(ctx, arg) }
	}
	go func() {
		v, err := run()
		a.result <- formatResult(v, err)
	}()
	return a
}

var sentinels = []struct {
	name string
	err  error
}{
	{"NotHosted", service.ErrNotHosted}, {"Closed", service.ErrClosed},
	{"UnknownNamespace", service.ErrUnknownNamespace}, {"UnknownService", service.ErrUnknownService},
	{"BadArguments", service.ErrBadArguments}, {"BadRequest", service.ErrBadRequest},
	{"ServiceError", service.ErrServiceError}, {"ServicePanic", service.ErrServicePanic},
	{"TooLarge", service.ErrTooLarge}, {"Canceled", service.ErrCanceled},
	{"DeadlineExceeded", service.ErrDeadlineExceeded}, {"Unavailable", service.ErrUnavailable},
	{"BadReply", service.ErrBadReply}, {"context.Canceled", context.Canceled},
	{"context.DeadlineExceeded", context.DeadlineExceeded},
}

// formatResult prints a result as the transcripts state it.
func formatResult(v any, err error) string {
	if err != nil {
		var names []string
		for _, s := range sentinels {
			if errors.Is(err, s.err) {
				names = append(names, s.name)
			}
		}
		var re *service.RemoteError
		if errors.As(err, &re) {
			names = append(names, "Remote:"+re.Code)
		}
		return fmt.Sprintf("error[%s]: %v", strings.Join(names, ","), err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// goldenPluginRegistry is what a transcript's client serves (! serve).
func goldenPluginRegistry() *registry.Registry {
	reg := registry.New()
	reg.Define("plug", json.RawMessage(`{"description":"the plugin's own"}`))
	reg.AddService("plug", "add", func(a, b int) int { return a + b })
	reg.AddService("plug", "fail", func() error { return errors.New("plugin says no") })
	reg.AddService("plug", "wait", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	return reg
}
