// Command go-host is the conformance kit's host driver for the Go host:
// it serves the kit's registry (testdata/conformance/README.md) with
// host.Serve on its stdin (requests) and stdout (responses), with a frame
// limit of 4096 bytes, until its stdin ends or SIGTERM, and exits 0, or 1
// when the connection failed.
//
//	go build -o go-host ./testdata/conformance/drivers/go-host
//	hostcall conformance host -- ./go-host
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// A process's stdin is usually in blocking mode, where a pending read
	// cannot be interrupted: made non-blocking, it is a file Serve can
	// interrupt (through its read deadline) when SIGTERM ends ctx.
	in := os.Stdin
	if err := syscall.SetNonblock(0, true); err == nil {
		in = os.NewFile(0, "stdin")
	}
	err := host.Serve(ctx, kitRegistry(), in, os.Stdout, host.WithMaxFrameSize(4096))
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "go-host:", err)
		os.Exit(1)
	}
}

// Errors registered under the bank contract's codes.
var errOverdrawn = errors.New("overdrawn")

type limitError struct {
	Min, Asked int
}

func (e *limitError) Error() string { return fmt.Sprintf("%d is below %d", e.Asked, e.Min) }

func init() {
	registry.RegisterError("bank.overdrawn", errOverdrawn)
	registry.RegisterError("bank.limit", &limitError{})
}

// kitRegistry is the kit's registry, as its README specifies it.
func kitRegistry() *registry.Registry {
	reg := registry.New()
	reg.Define("calc", map[string]string{"description": "arithmetic"})
	reg.AddServices(registry.Services{
		"calc": {
			"add": func(a, b int) int { return a + b },
			"div": func(a, b float64) (float64, error) {
				if b == 0 {
					return 0, errors.New("division by zero")
				}
				return a / b, nil
			},
			"boom": func() { panic("boom") },
			"wait": func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			"echo":   func(b []byte) []byte { return b },
			"concat": func(sep string, parts ...string) string { return strings.Join(parts, sep) },
			"big":    func(n int) string { return strings.Repeat("x", n) },
		},
		"cb": {
			"each": func(n int, f func(i int) (string, error)) ([]string, error) {
				var out []string
				for i := 0; i < n; i++ {
					s, err := f(i)
					if err != nil {
						return out, err
					}
					out = append(out, s)
				}
				return out, nil
			},
		},
		"bank": {
			"withdraw": func(n int) error {
				switch {
				case n > 100:
					return fmt.Errorf("withdraw %d: %w", n, errOverdrawn)
				case n < 0:
					return &limitError{Min: 0, Asked: n}
				}
				return nil
			},
		},
		"log": {
			"info": func(msg string) {},
		},
	})
	return reg
}
