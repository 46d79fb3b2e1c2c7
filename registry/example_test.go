package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hostcall/hostcall/registry"
)

func ExampleRegistry() {
	reg := registry.New()
	reg.Define("calc", map[string]string{"description": "arithmetic"})
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	reg.AddService("calc", "div", func(ctx context.Context, a, b float64) (float64, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	})

	// A host serving the registry does this for each call frame: the
	// arguments arrive as a JSON array, the results leave as one.
	ctx := context.Background()
	add, _ := reg.Lookup("calc", "add")
	out, _ := add.Invoke(ctx, []byte(`[1,2]`), nil, nil)
	fmt.Println(string(out))

	div, _ := reg.Lookup("calc", "div")
	out, _ = div.Invoke(ctx, []byte(`[1,4]`), nil, nil)
	fmt.Println(string(out))

	// The service's own error reaches the caller intact.
	_, err := div.Invoke(ctx, []byte(`[1,0]`), nil, nil)
	fmt.Println(err)

	// Arguments that do not fit the signature are refused before the call.
	_, err = add.Invoke(ctx, []byte(`[1]`), nil, nil)
	fmt.Println(errors.Is(err, registry.ErrBadArguments), err)

	m, _ := reg.Manifest("calc")
	fmt.Println(string(m))
	// Output:
	// [3]
	// [0.25]
	// division by zero
	// true calc.add: bad arguments: takes 2 arguments, got 1
	// {"description":"arithmetic"}
}

func ExampleRegistry_Inherit() {
	// What every plugin may use.
	shared := registry.New()
	shared.AddService("log", "info", func(msg string) {})
	shared.Define("fs", map[string]bool{"writable": false})
	shared.AddService("fs", "read", func(path string) (string, error) { return "contents of " + path, nil })

	// A trusted plugin's layer shadows fs as a whole with one that writes.
	trusted := shared.Inherit()
	trusted.Define("fs", map[string]bool{"writable": true})
	trusted.AddService("fs", "read", func(path string) (string, error) { return "contents of " + path, nil })
	trusted.AddService("fs", "write", func(path, data string) error { return nil })

	// A sandboxed plugin's layer only adds a namespace of its own.
	sandboxed := shared.Inherit()
	sandboxed.AddService("sandbox", "quota", func() int { return 10 })

	for _, p := range []struct {
		name string
		reg  *registry.Registry
	}{{"trusted", trusted}, {"sandboxed", sandboxed}} {
		fs, _ := p.reg.ServiceNames("fs")
		m, _ := p.reg.Manifest("fs")
		fmt.Printf("%s: namespaces %v, fs services %v, fs manifest %s\n", p.name, p.reg.Namespaces(), fs, m)
	}
	_, err := sandboxed.Lookup("fs", "write")
	fmt.Println(errors.Is(err, registry.ErrUnknownService))
	// Output:
	// trusted: namespaces [fs log], fs services [read write], fs manifest {"writable":true}
	// sandboxed: namespaces [fs log sandbox], fs services [read], fs manifest {"writable":false}
	// true
}

func ExampleRegistry_AddServices() {
	reg := registry.New()
	reg.AddServices(registry.Services{
		"calc": {
			"add": func(a, b int) int { return a + b },
			"neg": func(a int) int { return -a },
		},
		"text": {
			"upper": strings.ToUpper,
			"split": strings.Split,
		},
	})
	for _, ns := range reg.Namespaces() {
		names, _ := reg.ServiceNames(ns)
		fmt.Println(ns, names)
	}

	split, _ := reg.Lookup("text", "split")
	out, _ := split.Invoke(context.Background(), []byte(`["a,b,c", ","]`), nil, nil)
	fmt.Println(string(out))
	// Output:
	// calc [add neg]
	// text [split upper]
	// [["a","b","c"]]
}
