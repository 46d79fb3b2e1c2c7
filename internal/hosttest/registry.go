package hosttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strings"

	"github.com/hostcall/hostcall/registry"
)

// Errors the golden registry registers (registry.RegisterError), as
// "bank.overdrawn" and "bank.limit".
var ErrOverdrawn = errors.New("overdrawn")

// LimitError is registered as a type: its fields cross.
type LimitError struct {
	Min, Asked int
}

func (e *LimitError) Error() string { return fmt.Sprintf("%d is below %d", e.Asked, e.Min) }

func init() {
	registry.RegisterError("bank.overdrawn", ErrOverdrawn)
	registry.RegisterError("bank.limit", &LimitError{})
}

// Registry returns the registry the golden transcripts are written against.
//
//	calc (manifest {"description":"arithmetic"}):
//	  add(a, b int) int
//	  div(a, b float64) (float64, error)   // "division by zero"
//	  boom()                               // panics "boom"
//	  wait(ctx) error                      // returns ctx.Err() once canceled
//	  echo(b []byte) []byte
//	  concat(sep string, parts ...string) string
//	  big(n int) string                    // n times "x"
//	  nan() float64                        // NaN: cannot be encoded
//	cb (no manifest):
//	  each(n int, f func(int) (string, error)) ([]string, error) // f(0)...f(n-1), stops at an error
//	stream (no manifest):
//	  count(n int) iter.Seq[int]                         // 0 ... n-1
//	  fail(n int) (iter.Seq2[string, error], error)     // "", "x", ... then an error; n < 0: an error at once
//	  bytes(n int) io.Reader                             // "ab" n times
//	  wait(ctx) <-chan int                               // 1, then nothing until canceled
//	bank (no manifest):
//	  withdraw(n int) error                // n > 100: ErrOverdrawn; n < 0: a *LimitError
//	log (no manifest):
//	  info(msg string)
func Registry() *registry.Registry {
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
			"nan":    func() float64 { return math.NaN() },
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
		"stream": {
			"count": func(n int) iter.Seq[int] {
				return func(yield func(int) bool) {
					for i := 0; i < n && yield(i); i++ {
					}
				}
			},
			"fail": func(n int) (iter.Seq2[string, error], error) {
				if n < 0 {
					return nil, errors.New("negative")
				}
				return func(yield func(string, error) bool) {
					for i := 0; i < n; i++ {
						if !yield(strings.Repeat("x", i), nil) {
							return
						}
					}
					yield("", fmt.Errorf("failed after %d", n))
				}, nil
			},
			"bytes": func(n int) io.Reader { return strings.NewReader(strings.Repeat("ab", n)) },
			"wait": func(ctx context.Context) <-chan int {
				ch := make(chan int)
				go func() {
					defer close(ch)
					select {
					case ch <- 1:
					case <-ctx.Done():
						return
					}
					<-ctx.Done()
				}()
				return ch
			},
		},
		"bank": {
			"withdraw": func(n int) error {
				switch {
				case n > 100:
					return fmt.Errorf("withdraw %d: %w", n, ErrOverdrawn)
				case n < 0:
					return &LimitError{Min: 0, Asked: n}
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
