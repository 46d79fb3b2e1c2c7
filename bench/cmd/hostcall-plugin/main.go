// Command hostcall-plugin is the plugin of the hostcall systems. Its
// "bench" command calls the host the way the README shows (AddHostFlags,
// service.GetService on the default client, protocol 2); "bench-p1" dials
// the same --host-file URLs with service.WithProtocol1 (no hello, so no
// blobs: byte slices travel as base64).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "hostcall-bench", Version: "1.0.0",
		Commands: []pluginexec.Command{
			{Path: []string{"bench"}, Type: "p2"},
			{Path: []string{"bench-p1"}, Type: "p1"},
		}})
	if len(os.Args) < 2 {
		harness.Fatal("hostcall-plugin", fmt.Errorf("usage: hostcall-plugin bench|bench-p1 --host-file URL..."))
	}
	var p harness.Params
	fs := pflag.NewFlagSet("hostcall-plugin", pflag.ExitOnError)
	p.AddFlags(fs)
	var c caller
	var err error
	switch os.Args[1] {
	case "bench":
		service.AddHostFlags(fs)
		fs.Parse(os.Args[2:])
		err = c.bind(service.GetService)
		c.client = service.Default()
	case "bench-p1":
		// The URLs that AddHostFlags would record are not readable
		// back, so this command parses --host-file itself.
		urls := fs.StringArray(service.HostFileFlag, nil, "URL of the pipes to the host")
		fs.Parse(os.Args[2:])
		c.client, err = service.Dial(context.Background(), *urls, service.WithProtocol1())
		if err == nil {
			err = c.bind(c.client.GetService)
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err == nil {
		err = harness.RunPlugin("hostcall", p, &c, func() string {
			return fmt.Sprintf("protocol %d", c.client.Protocol())
		})
	}
	if err != nil {
		harness.Fatal("hostcall-plugin", err)
	}
}

// caller holds the consumer funcs.
type caller struct {
	client *service.Client
	add    func(a, b int) (int, error)
	echo   func([]byte) ([]byte, error)
	rec    func(harness.Record) (harness.Record, error)
	mark   func() (uint64, error)
	sent   harness.Record
}

func (c *caller) bind(get func(ns, name string, fnPtr any) error) error {
	c.sent = harness.NewRecord()
	for name, fn := range map[string]any{"add": &c.add, "echo": &c.echo, "struct": &c.rec, "mark": &c.mark} {
		if err := get("bench", name, fn); err != nil {
			return err
		}
	}
	return nil
}

func (c *caller) Add(a, b int64) (int64, error) {
	s, err := c.add(int(a), int(b))
	return int64(s), err
}

func (c *caller) Echo(b []byte) ([]byte, error) { return c.echo(b) }

func (c *caller) Struct(id int64) error {
	c.sent.ID = id
	got, err := c.rec(c.sent)
	if err != nil {
		return err
	}
	if !got.Equal(&c.sent) {
		return fmt.Errorf("reply differs from the record sent")
	}
	return nil
}

func (c *caller) Mark() (uint64, error) { return c.mark() }
