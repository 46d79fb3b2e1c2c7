//go:build linux

package python_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/service"
)

// The health namespace (PROTOCOL.md section 6, health) between a Go host
// and testdata/twoway.py: pings both ways, and the plugin's leave notice.

// The host pings the Python plugin, also while every worker of its small
// pool is busy (the ping is answered on its reader); the plugin pings the
// host.
func TestPythonPing(t *testing.T) {
	hosttest.CheckGoroutines(t)
	h := newHostSide()
	ctx, p := start(t, h, host.WithCommand("serve", "small")) // at most 2 calls run at once
	if err := p.Ping(ctx); err != nil {
		t.Fatalf("the host pings the Python plugin: %v", err)
	}
	pingHost := get[func(context.Context) error](t, p, "kv", "pinghost")
	if err := pingHost(ctx); err != nil {
		t.Fatalf("the Python plugin pings the host: %v", err)
	}

	// Both workers held, more calls waiting for them: the ping is answered
	// all the same.
	block := get[func(context.Context) error](t, p, "kv", "block")
	bctx, bcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- block(bctx)
		}()
	}
	for i := 0; i < 2; i++ {
		if k := recv(t, ctx, h.audited); k != "block" {
			t.Fatalf("audit.log got %q, want block", k)
		}
	}
	pctx, pcancel := context.WithTimeout(ctx, 20*time.Second) // a watchdog: the answer does not wait for a worker
	if err := p.Ping(pctx); err != nil {
		t.Errorf("ping with both workers of the Python plugin busy and calls queued: %v", err)
	}
	pcancel()
	bcancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("a blocked call ended with %v, want canceled", err)
		}
	}
	// The workers are free again: the plugin still serves.
	if err := pingHost(ctx); err != nil {
		t.Errorf("pinghost after the blocked calls: %v", err)
	}

	// The plugin takes no leave notices (only a host does), and the
	// namespace has nothing but ping and leave.
	if err := p.Client().Leave(ctx, "bye"); !errors.Is(err, service.ErrUnknownService) {
		t.Errorf("a leave notice sent to the Python plugin: %v, want unknown_service", err)
	}
	status := get[func(context.Context) error](t, p, service.HealthNamespace, "status")
	if err := status(ctx); !errors.Is(err, service.ErrUnknownService) {
		t.Errorf("hostcall.health.status of the Python plugin: %v, want unknown_service", err)
	}
	if err := p.Ping(ctx); err != nil {
		t.Errorf("ping after the refused requests: %v", err)
	}
}

// The Python plugin's leave notice: the host answers, closes its stream
// (the plugin's serve returns, so it exits 0) and, supervised or not, does
// not restart it.
func TestPythonLeave(t *testing.T) {
	for name, opts := range map[string][]host.BindOption{
		"plain":      nil,
		"supervised": {host.WithRestart(host.RestartPolicy{Initial: time.Millisecond})},
	} {
		t.Run(name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			h := newHostSide()
			ctx, p := start(t, h, opts...)
			leave := get[func(context.Context, string) error](t, p, "kv", "leave")
			if err := leave(ctx, "config removed"); err != nil {
				t.Fatalf("kv.leave: %v", err)
			}
			recv(t, ctx, p.Left())
			if got := p.LeaveReason(); got != "config removed" {
				t.Errorf("LeaveReason = %q, want config removed", got)
			}
			waited := make(chan error, 1)
			go func() { waited <- p.Wait() }()
			if err := recv(t, ctx, waited); err != nil {
				t.Errorf("Wait = %v, want the clean exit of a plugin whose serve returned", err)
			}
			if n := p.Restarts(); n != 0 {
				t.Errorf("a plugin that left was restarted %d times", n)
			}
		})
	}
}
