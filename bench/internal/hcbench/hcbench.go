// Package hcbench is hostcall's side of the benchmark, shared by
// hostcall-host and hostcall-plugin: the bench services as a registry, and
// the consumer funcs that call them. The callee serves Registry, the caller
// binds a Caller with its GetService: the plugin calling the host
// (hostcall, hostcall-p1) or the host calling the plugin (hostcall-h2p).
package hcbench

import (
	"fmt"
	"io"
	"iter"

	"github.com/hostcall/hostcall/registry"

	"github.com/hostcall/hostcall/bench/internal/harness"
)

// Namespace holds the bench services.
const Namespace = "bench"

// Registry returns the bench services: bench.add, bench.echo, bench.struct,
// bench.mark (the callee's allocation count), and the streams bench.ints
// (an iter.Seq of 0 ... n-1) and bench.bytes (an io.Reader of n bytes of
// the pattern).
func Registry() *registry.Registry {
	reg := registry.New()
	reg.AddService(Namespace, "add", func(a, b int) int { return a + b })
	reg.AddService(Namespace, "echo", harness.Echo)
	reg.AddService(Namespace, "struct", harness.EchoRecord)
	reg.AddService(Namespace, "mark", harness.HostMallocs)
	reg.AddService(Namespace, "ints", ints)
	reg.AddService(Namespace, "bytes", harness.PatternReader)
	return reg
}

// ints is bench.ints.
func ints(n int64) iter.Seq[int64] {
	return func(yield func(int64) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// Caller is a harness.Caller made of consumer funcs for Registry's
// services.
type Caller struct {
	add  func(a, b int) (int, error)
	echo func([]byte) ([]byte, error)
	rec  func(harness.Record) (harness.Record, error)
	mark func() (uint64, error)
	ints func(n int64) (iter.Seq2[int64, error], error)
	data func(n int64) (io.ReadCloser, error)
	sent harness.Record
	buf  []byte
}

// Bind fills c's funcs with get: a GetService (service.GetService,
// (*service.Client).GetService, (*host.Running).GetService).
func (c *Caller) Bind(get func(ns, name string, fnPtr any) error) error {
	c.sent = harness.NewRecord()
	c.buf = make([]byte, 256<<10)
	for name, fn := range map[string]any{"add": &c.add, "echo": &c.echo, "struct": &c.rec, "mark": &c.mark, "ints": &c.ints, "bytes": &c.data} {
		if err := get(Namespace, name, fn); err != nil {
			return err
		}
	}
	return nil
}

// Add calls bench.add.
func (c *Caller) Add(a, b int64) (int64, error) {
	s, err := c.add(int(a), int(b))
	return int64(s), err
}

// Echo calls bench.echo.
func (c *Caller) Echo(b []byte) ([]byte, error) { return c.echo(b) }

// Struct calls bench.struct with the record, its ID set to id, and checks
// the reply.
func (c *Caller) Struct(id int64) error {
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

// Mark calls bench.mark.
func (c *Caller) Mark() (uint64, error) { return c.mark() }

// Ints calls bench.ints and checks its stream.
func (c *Caller) Ints(n int64) error {
	items, err := c.ints(n)
	if err != nil {
		return err
	}
	var check harness.IntChecker
	for v, err := range items {
		if err != nil {
			return err
		}
		if err := check.Item(v); err != nil {
			return err
		}
	}
	return check.End(n)
}

// Bytes calls bench.bytes and reads its io.Reader to the end.
func (c *Caller) Bytes(n int64) error {
	r, err := c.data(n)
	if err != nil {
		return err
	}
	defer r.Close()
	return harness.ReadPattern(r, n, c.buf)
}

var _ harness.Caller = (*Caller)(nil)
