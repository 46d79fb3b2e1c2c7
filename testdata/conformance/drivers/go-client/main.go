// Command go-client is the conformance kit's client driver for the Go
// client (package service): a plugin, started with --host-file arguments,
// that makes the calls the runner sends on its stdin and prints their
// results on stdout, one JSON object per line (testdata/conformance/README.md).
//
//	go build -o go-client ./testdata/conformance/drivers/go-client
//	hostcall conformance client -- ./go-client
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// instruction is one line of the runner.
type instruction struct {
	ID        json.RawMessage `json:"id"`
	Op        string          `json:"op"`
	Namespace string          `json:"namespace"`
	Name      string          `json:"name"`
	Args      []any           `json:"args"`
	Results   *int            `json:"results"`
	Bytes     bool            `json:"bytes"`
	Timeout   float64         `json:"timeout"`
}

// driver runs instructions on the client, each in its own goroutine.
type driver struct {
	c       *service.Client
	mu      sync.Mutex // guards out and cancels
	out     *json.Encoder
	cancels map[string]context.CancelFunc
	wg      sync.WaitGroup
}

func main() {
	if err := service.InitServiceClient(context.Background()); err != nil { // says hello now
		fmt.Fprintln(os.Stderr, "go-client:", err)
		os.Exit(1)
	}
	d := &driver{c: service.Default(), out: json.NewEncoder(os.Stdout), cancels: map[string]context.CancelFunc{}}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var in instruction
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			fmt.Fprintf(os.Stderr, "go-client: bad instruction %q: %v\n", sc.Text(), err)
			os.Exit(1)
		}
		d.run(in)
	}
	d.c.Close() // calls still pending fail: their results are printed
	d.wg.Wait()
}

// run starts an instruction.
func (d *driver) run(in instruction) {
	id := string(in.ID)
	if in.Op == "cancel" {
		d.mu.Lock()
		cancel := d.cancels[id]
		d.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	if in.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(in.Timeout*float64(time.Second)))
	}
	d.mu.Lock()
	d.cancels[id] = cancel
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer cancel()
		v, err := d.do(ctx, in)
		d.report(in.ID, v, err)
	}()
}

var errUnsupported = errors.New("unsupported")

func (d *driver) do(ctx context.Context, in instruction) (any, error) {
	switch in.Op {
	case "call":
		return d.call(ctx, in)
	case "hasNamespace":
		return d.c.HasNamespace(ctx, in.Namespace)
	case "getManifest":
		var m json.RawMessage
		err := d.c.GetManifest(ctx, in.Namespace, &m)
		if len(m) == 0 {
			m = json.RawMessage("null")
		}
		return m, err
	case "listServices":
		names, err := d.c.ListServices(ctx, in.Namespace)
		if names == nil {
			names = []string{}
		}
		return names, err
	case "serve":
		return nil, d.c.Serve(ctx, pluginRegistry())
	}
	return nil, fmt.Errorf("%w: op %s", errUnsupported, in.Op)
}

// call calls a service through a consumer func with the instruction's
// number of results: func(ctx, ...any) (R..., error).
func (d *driver) call(ctx context.Context, in instruction) (any, error) {
	n := 1
	if in.Results != nil {
		n = *in.Results
	}
	result := reflect.TypeFor[json.RawMessage]()
	if in.Bytes {
		result = reflect.TypeFor[[]byte]()
	}
	out := []reflect.Type{}
	for range n {
		out = append(out, result)
	}
	out = append(out, reflect.TypeFor[error]())
	ft := reflect.FuncOf([]reflect.Type{reflect.TypeFor[context.Context](), reflect.TypeFor[[]any]()}, out, true)
	fn := reflect.New(ft)
	if err := d.c.GetService(in.Namespace, in.Name, fn.Interface()); err != nil {
		return nil, err
	}
	args := []reflect.Value{reflect.ValueOf(ctx)}
	for _, a := range in.Args {
		args = append(args, reflect.ValueOf(&a).Elem())
	}
	res := fn.Elem().Call(args)
	if err, _ := res[n].Interface().(error); err != nil {
		return nil, err
	}
	vals := []any{}
	for _, r := range res[:n] {
		vals = append(vals, r.Interface())
	}
	return vals, nil
}

// report prints the result of instruction id.
func (d *driver) report(id json.RawMessage, v any, err error) {
	line := map[string]any{"id": id}
	if err != nil {
		code, msg := errorCode(err)
		line["error"] = map[string]string{"code": code, "message": msg}
	} else {
		line["result"] = v
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.out.Encode(line)
}

// errorCode is the kit's code and message of an error: the host's own for
// an error it reported, the kit's name of a local failure otherwise.
func errorCode(err error) (code, message string) {
	var re *service.RemoteError
	if errors.As(err, &re) {
		return re.Code, re.Message
	}
	for _, c := range []struct {
		code string
		err  error
	}{
		{"unsupported", errUnsupported},
		{"closed", service.ErrClosed},
		{"canceled", context.Canceled},
		{"deadline_exceeded", context.DeadlineExceeded},
		{"bad_reply", service.ErrBadReply},
		{"too_large", service.ErrTooLarge},
	} {
		if errors.Is(err, c.err) {
			return c.code, err.Error()
		}
	}
	return "error", err.Error()
}

// pluginRegistry is what the driver serves (op serve), as the kit's README
// specifies it.
func pluginRegistry() *registry.Registry {
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
