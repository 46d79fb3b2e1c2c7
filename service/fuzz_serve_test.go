package service_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// servedFrame is a frame a serving client writes, decoded by
// encoding/json: every member of PROTOCOL.md sections 3, 4 and 6.
type servedFrame struct {
	Sequence  *uint64         `json:"sequence"`
	Type      string          `json:"type"`
	Namespace string          `json:"namespace"`
	Name      string          `json:"name"`
	Args      json.RawMessage `json:"args"`
	Timeout   int64           `json:"timeout"`
	Blobs     []int64         `json:"blobs"`
	Reply     json.RawMessage `json:"reply"`
	Services  []string        `json:"services"`
	OK        bool            `json:"ok"`
	Error     string          `json:"error"`
	Code      string          `json:"code"`
	Detail    json.RawMessage `json:"detail"`
	More      bool            `json:"more"`
	Callback  uint64          `json:"callback"`
}

var fuzzCodes = []string{"unknown_namespace", "unknown_service", "bad_request", "bad_arguments", "service_error",
	"panic", "canceled", "deadline_exceeded", "too_large", "unavailable"}

// fuzzServedRegistry is what the fuzzed plugin serves; p.callback calls the
// host back while it serves.
func fuzzServedRegistry(c *service.Client) *registry.Registry {
	reg := registry.New()
	reg.Define("p", map[string]string{"d": "fuzz"})
	var hostAdd func(context.Context, int, int) (int, error)
	c.GetService("h", "add", &hostAdd)
	reg.AddServices(registry.Services{"p": {
		"add":      func(a, b int) int { return a + b },
		"echo":     func(s string) string { return s },
		"blob":     func(b []byte) []byte { return b },
		"wait":     func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		"panic":    func() { panic("fuzz") },
		"callback": func(ctx context.Context, a int) (int, error) { return hostAdd(ctx, a, 1) },
		"sum":      func(xs ...int) int { return len(xs) },
		"count": func(n int) iter.Seq[int] {
			return func(yield func(int) bool) {
				for i := 0; i < n%1000 && yield(i); i++ {
				}
			}
		},
		"each": func(f func(int) error) error { return f(1) },
	}})
	return reg
}

// Bounds of FuzzServeRequests. The host's stream is cut to maxServeInput
// bytes: it then fits the pipe, so the host's write never waits, and it
// holds fewer calls than twice the in-flight bound, so the plugin never
// stops reading before the end of the stream (a plugin whose calls wait
// for their context with the bound reached reads the end only when they
// end: backpressure, PROTOCOL.md and SECURITY.md). The watchdog stays
// under the fuzzing engine's own 10 s per input.
const (
	maxServeInput      = 16 << 10
	serveInFlight      = 256
	serveFuzzWatchdog  = 4 * time.Second
	serveFuzzFrameSize = 4096
)

// FuzzServeRequests feeds fuzzed bytes to a plugin that serves its
// registry (Client.Serve), as its host's stream over OS pipes. The plugin
// must not panic, Serve must return once the stream has ended, and every
// frame the plugin writes must be well-formed: one line of compact JSON,
// sequence first, no unknown member, a code from the table with an error
// that is clean text, its blobs whole; a response only to a sequence the
// stream holds.
func FuzzServeRequests(f *testing.F) {
	hello := `{"sequence":1,"reply":{"protocol":2,"features":["cancel","timeout","codes","blobs","serve"],"maxFrame":4096}}` + "\n"
	f.Add([]byte(hello + `{"sequence":1,"type":"call","namespace":"p","name":"add","args":[1,2]}` + "\n" +
		`{"sequence":2,"type":"hasNamespace","namespace":"p"}{"sequence":3,"type":"getManifest","namespace":"p"}` +
		`{"sequence":4,"type":"listServices","namespace":"p"}{"sequence":5,"blobs":[3],"type":"call","namespace":"p","name":"blob","args":[0]}` + "\nabc" +
		`{"sequence":6,"type":"call","namespace":"p","name":"wait","args":[]}{"sequence":6,"type":"cancel"}` +
		`{"sequence":7,"type":"call","namespace":"p","name":"callback","args":[1]}{"sequence":3,"reply":[2]}` +
		`{"sequence":8,"type":"call","namespace":"p","name":"sum","args":[[1,2],null]}`))
	// Streams and callbacks (PROTOCOL.md section 6): credit, cancel, a
	// callback's answer, and credit for nothing.
	f.Add([]byte(`{"sequence":1,"reply":{"protocol":2,"features":["cancel","timeout","codes","blobs","callbacks","streams","serve"],"maxFrame":4096}}` + "\n" +
		`{"sequence":1,"type":"call","namespace":"p","name":"count","args":[5]}{"sequence":1,"type":"credit","args":100}` +
		`{"sequence":2,"type":"call","namespace":"p","name":"count","args":[999]}{"sequence":2,"type":"cancel"}{"sequence":9,"type":"credit","args":"x"}` +
		`{"sequence":3,"type":"call","namespace":"p","name":"each","args":[{"callback":4}]}{"sequence":3,"reply":[]}` +
		`{"sequence":4,"type":"callback","callback":7,"args":[1]}{"sequence":5,"type":"call","namespace":"p","name":"each","args":[{"callback":0}]}`))
	f.Add([]byte(`]] garbage {"sequence":1,"type":"call","namespace":"p","name":"add","args":[1,,2]}{"sequence":1,"type":"call","namespace":"p","name":"wait"}` +
		`{"sequence":1,"type":"call","namespace":"p","name":"add","args":[1,2]}{"sequence":9,"reply":[3]}{"sequence":2,"blobs":[-1]}{"type":"call"}` +
		`{"sequence":3,"type":"call","namespace":"nope","name":"x"}{"sequence":4,"type":"launch"}{"sequence":5,"type":"hello","args":[1]}` +
		`{"sequence":6,"type":"call","namespace":"p","name":"panic","args":[]}{"sequence":18446744073709551615,"type":"cancel"}`))
	f.Add([]byte(hello + `{"sequence":1,"type":"call","namespace":"p","name":"echo","args":["` + strings.Repeat("x", 5000) + `"]}` +
		`{"sequence":2,"type":"call","namespace":"p","name":"echo","args":["` + "\xff\x01" + `"]}{"sequence":3,"blobs":[9999],"type":"call","namespace":"p","name":"blob","args":[0]}`))
	f.Add([]byte(`{"sequence":1,"type":"call","namespace":"p","name":"add","args":` + strings.Repeat("[", 2000) + `}{"sequence":2,"type":"call","namespace":"p","name":"echo","args":["a`))
	f.Add([]byte(hello + `{"sequence":1,"type":"call","namespace":"p","name":"callback","args":[1],"timeout":1000}{"sequence":2,"type":"call","namespace":"p","name":"blob","args":["AAEC"]}` +
		`{"sequence":3,"error":"late","code":"canceled"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxServeInput {
			data = data[:maxServeInput]
		}
		pluginR, hostW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		hostR, pluginW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer hostR.Close()
		defer hostW.Close()
		c := service.NewClient(pluginR, pluginW, service.WithMaxFrameSize(serveFuzzFrameSize),
			service.WithServeOptions(host.WithMaxInFlight(serveInFlight), host.WithDrainTimeout(serveFuzzWatchdog/2)))
		served := make(chan error, 1)
		go func() { served <- c.Serve(context.Background(), fuzzServedRegistry(c)) }()
		read := make(chan error, 1)
		go func() { read <- checkServedFrames(hostR, data) }()
		fed := make(chan struct{})
		go func() {
			defer close(fed)
			hostW.Write(data) // fails once the plugin closes its end
			hostW.Close()
		}()
		select {
		case <-served:
		case <-time.After(serveFuzzWatchdog):
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("Serve did not return within %v of the end of the host's stream\n%s", serveFuzzWatchdog, buf)
		}
		closed := make(chan struct{})
		go func() {
			c.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(serveFuzzWatchdog):
			t.Fatalf("Close did not return within %v", serveFuzzWatchdog)
		}
		select {
		case err := <-read:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(serveFuzzWatchdog):
			t.Fatalf("the plugin's stream did not end within %v of Close", serveFuzzWatchdog)
		}
		<-fed
	})
}

// checkServedFrames reads a serving plugin's frames until its stream ends
// and returns the first fault found, nil if none.
func checkServedFrames(r io.Reader, data []byte) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the stream ended inside a frame (%v): %q", err, line)
		}
		line = line[:len(line)-1]
		var m servedFrame
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		switch {
		case !utf8.Valid(line) || !json.Valid(line) || bytes.ContainsAny(line, "\r\n\t"):
			return fmt.Errorf("not one line of compact JSON: %q", line)
		case !bytes.HasPrefix(line, []byte(`{"sequence":`)):
			return fmt.Errorf("does not start with its sequence: %q", line)
		case dec.Decode(&m) != nil || m.Sequence == nil:
			return fmt.Errorf("undecodable: %q", line)
		}
		if m.Type == "" && !bytes.Contains(data, []byte(strconv.FormatUint(*m.Sequence, 10))) {
			return fmt.Errorf("a response to sequence %d, which the host's stream does not hold: %q", *m.Sequence, line)
		}
		if m.Error != "" || m.Code != "" {
			if !slices.Contains(fuzzCodes, m.Code) || m.Error == "" || !cleanText(m.Error) {
				return fmt.Errorf("an error without a code of the table or without clean text: %q", line)
			}
		}
		for _, n := range m.Blobs {
			if n < 0 || n > serveFuzzFrameSize {
				return fmt.Errorf("a blob of %d bytes: %q", n, line)
			}
			if _, err := io.CopyN(io.Discard, br, n); err != nil {
				return fmt.Errorf("a blob of %d bytes cut short (%v): %q", n, err, line)
			}
		}
	}
}

// cleanText reports whether s is valid UTF-8 without control characters.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}
