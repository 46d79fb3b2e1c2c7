package hostcalltest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hostcall/hostcall/hostcalltest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// In a test, t is the test's *testing.T; an Example has none, so these use
// a stand-in that runs the cleanups when the example ends.

// A plugin's code calls the host's services through a client: test it
// against a registry served in the test's process.
func ExampleNewClient() {
	t := &stubT{print: true} // in a test, the test's t
	defer t.end()            // in a test, its end runs the cleanups

	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	c := hostcalltest.NewClient(t, reg)

	var add func(a, b int) (int, error)
	if err := c.GetService("calc", "add", &add); err != nil {
		t.Fatalf("%v", err)
	}
	fmt.Println(add(1, 2))
	var mul func(a, b int) (int, error)
	c.GetService("calc", "mul", &mul)
	_, err := mul(2, 3)
	fmt.Println(errors.Is(err, service.ErrUnknownService))
	// Output:
	// 3 <nil>
	// true
}

// A plugin that serves, run in the test's process: its services call the
// host back (kv.put logs each key with the host's audit.log) while the
// host calls them.
func ExampleStartFunc() {
	t := &stubT{print: true} // in a test, the test's t
	defer t.end()            // in a test, its end runs the cleanups

	hostReg := registry.New()
	hostReg.AddService("audit", "log", func(key string) { fmt.Println("audit:", key) })
	p := hostcalltest.StartFunc(t, hostReg, func(ctx context.Context, c *service.Client) error {
		return c.Serve(ctx, kvRegistry(c)) // the plugin's main, given its client
	})

	var put func(ctx context.Context, k, v string) error
	var get func(ctx context.Context, k string) (string, error)
	p.GetService("kv", "put", &put)
	p.GetService("kv", "get", &get)
	ctx := context.Background()
	fmt.Println(put(ctx, "a", "1"))
	fmt.Println(get(ctx, "a"))
	_, err := get(ctx, "b")
	fmt.Println(err)
	fmt.Println("stop:", p.Stop()) // the plugin's Serve returned nil
	// Output:
	// audit: a
	// <nil>
	// 1 <nil>
	// service kv.get: no key "b"
	// stop: <nil>
}

// The same plugin as a binary (testdata/kvplugin), run as a host runs it.
func ExampleStartPlugin() {
	t := &stubT{print: true} // in a test, the test's t
	defer t.end()            // in a test, its end runs the cleanups

	hostReg := registry.New()
	hostReg.AddService("audit", "log", func(key string) { fmt.Println("audit:", key) })
	p := hostcalltest.StartPlugin(t, kvPlugin, hostReg, hostcalltest.WithCommand("serve"))

	var put func(k, v string) error
	var get func(k string) (string, error)
	p.GetService("kv", "put", &put)
	p.GetService("kv", "get", &get)
	fmt.Println(put("a", "1"))
	fmt.Println(get("a"))
	fmt.Println("stop:", p.Stop()) // the plugin exited with status 0
	// Output:
	// audit: a
	// <nil>
	// 1 <nil>
	// stop: <nil>
}

// A plugin command that runs to completion: its output and how it ended.
func ExampleRunPlugin() {
	t := &stubT{print: true} // in a test, the test's t
	defer t.end()            // in a test, its end runs the cleanups

	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	out := hostcalltest.RunPlugin(t, kvPlugin, reg, hostcalltest.WithCommand("add"), hostcalltest.WithArgs("20", "22"))
	fmt.Printf("%q %v\n", out.Stdout, out.Err)
	// Output:
	// "42\n" <nil>
}

// CheckLeaks goes first in a test: it checks, at the test's end, after the
// cleanups registered after it have ended what they started.
func ExampleCheckLeaks() {
	t := &stubT{print: true} // in a test, the test's t
	hostcalltest.CheckLeaks(t)

	reg := registry.New()
	reg.AddService("calc", "add", func(a, b int) int { return a + b })
	c := hostcalltest.NewClient(t, reg) // its goroutines end at cleanup
	var add func(a, b int) (int, error)
	c.GetService("calc", "add", &add)
	fmt.Println(add(1, 2))

	t.end() // the test ends: nothing it started is left
	fmt.Println("failures:", len(t.failures))
	// Output:
	// 3 <nil>
	// failures: 0
}

// kvRegistry is a plugin's registry: put calls the host back.
func kvRegistry(c *service.Client) *registry.Registry {
	var mu sync.Mutex
	store := map[string]string{}
	var audit func(ctx context.Context, key string) error
	c.GetService("audit", "log", &audit)
	reg := registry.New()
	reg.AddService("kv", "put", func(ctx context.Context, k, v string) error {
		if err := audit(ctx, k); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		store[k] = v
		return nil
	})
	reg.AddService("kv", "get", func(k string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		v, ok := store[k]
		if !ok {
			return "", fmt.Errorf("no key %q", k)
		}
		return v, nil
	})
	return reg
}
