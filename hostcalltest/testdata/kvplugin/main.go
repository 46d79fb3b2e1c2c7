// Command kvplugin is the plugin the tests and examples of hostcalltest
// run: "serve" serves kv, whose put logs each key through the host's
// audit.log; "add A B" prints calc.add(A, B), computed by the host;
// "fail" exits 3 after a line on stderr.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "kv", Version: "1.0.0", Commands: []pluginexec.Command{
		{Path: []string{"serve"}, Type: "kv"},
		{Path: []string{"add"}, Type: "demo"},
		{Path: []string{"fail"}, Type: "demo"},
	}})
	args := words(os.Args[1:])
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "kvplugin: no command")
		os.Exit(2)
	}
	switch args[0] {
	case "serve":
		if err := service.Serve(context.Background(), kvRegistry(service.Default())); err != nil {
			fmt.Fprintln(os.Stderr, "kvplugin:", err)
			os.Exit(1)
		}
	case "add":
		a, _ := strconv.Atoi(args[1])
		b, _ := strconv.Atoi(args[2])
		var add func(a, b int) (int, error)
		service.GetService("calc", "add", &add)
		sum, err := add(a, b)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kvplugin:", err)
			os.Exit(1)
		}
		fmt.Println(sum)
	case "fail":
		fmt.Fprintln(os.Stderr, "kvplugin: failing as asked")
		os.Exit(3)
	}
}

// words drops the --host-file arguments the host passes.
func words(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--host-file" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// kvRegistry is what serve serves: put calls the host back.
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
