//go:build linux

package process

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/registry"
)

// holdCalls is how many calls the hold and pending plugins keep in flight.
const holdCalls = 1000

// bigSize is the size of the string the big service returns.
const bigSize = 64 << 10

var bigString = strings.Repeat("b", bigSize)

// hostState is what the services of one test share with the test.
//
//	faults.hello(pid int)        the plugin says who it is
//	faults.hold(ctx) error       counts itself running, returns once canceled
//	faults.gate(ctx) error       returns once the test opens the gate
//	faults.more() bool           false once the test says stop
//	faults.echo(s string) string counts itself
//	faults.big() string          64 KiB
//	faults.add(a, b int) int
//	faults.boom()                panics
//	faults.stuck() int           blocks, ignoring its context, until the test releases it
type hostState struct {
	pids chan int

	holdTarget      int64 // how many hold calls the test waits for; set before serving
	holdRunning     atomic.Int64
	holdAllRunning  chan struct{} // closed when holdTarget calls run
	holdCanceled    atomic.Int64
	holdAllCanceled chan struct{} // closed when they have all seen their context end
	holdCanceledAt  time.Time     // written before holdAllCanceled is closed

	gate      chan struct{}
	gateOnce  sync.Once
	stop      atomic.Bool
	echoed    atomic.Int64
	bigCalls  atomic.Int64
	mixed     atomic.Int64 // add, boom and stuck invocations
	stuck     atomic.Int64
	release   chan struct{}
	releaseMu sync.Once
}

func newHostState() *hostState {
	return &hostState{
		pids:            make(chan int, 16),
		holdTarget:      holdCalls,
		holdAllRunning:  make(chan struct{}),
		holdAllCanceled: make(chan struct{}),
		gate:            make(chan struct{}),
		release:         make(chan struct{}),
	}
}

// openGate lets the bystanders' gate calls return.
func (s *hostState) openGate() { s.gateOnce.Do(func() { close(s.gate) }) }

// releaseStuck lets the stuck services return.
func (s *hostState) releaseStuck() { s.releaseMu.Do(func() { close(s.release) }) }

func (s *hostState) registry() *registry.Registry {
	reg := registry.New()
	reg.AddServices(registry.Services{"faults": {
		"hello": func(pid int) {
			select {
			case s.pids <- pid:
			default:
			}
		},
		"hold": func(ctx context.Context) error {
			if s.holdRunning.Add(1) == s.holdTarget {
				close(s.holdAllRunning)
			}
			<-ctx.Done()
			if s.holdCanceled.Add(1) == s.holdTarget {
				s.holdCanceledAt = time.Now()
				close(s.holdAllCanceled)
			}
			return ctx.Err()
		},
		"gate": func(ctx context.Context) error {
			select {
			case <-s.gate:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		"more": func() bool { return !s.stop.Load() },
		"echo": func(p string) string {
			s.echoed.Add(1)
			return p
		},
		"big": func() string {
			s.bigCalls.Add(1)
			return bigString
		},
		"add": func(a, b int) int {
			s.mixed.Add(1)
			return a + b
		},
		"boom": func() {
			s.mixed.Add(1)
			panic("boom: a fault injected by the test")
		},
		"stuck": func() int {
			s.mixed.Add(1)
			s.stuck.Add(1)
			<-s.release // deliberately deaf to its context
			return 0
		},
	}})
	return reg
}
