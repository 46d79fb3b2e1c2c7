// Command host is a provisioning server in the shape of dr-provision, with
// one provider plugin: it starts the provider, configures it, has it run
// actions (three at once, one that fails, one slow that it cancels) while
// it prints the events the provider publishes, and stops it.
//
//	host PROVIDER-PLUGIN
//
// Events and results go to stdout, the provider's log lines to stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/hostcall/hostcall/examples/provider/providerapi"
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("host: ")
	if len(os.Args) != 2 {
		log.Fatal("usage: host PROVIDER-PLUGIN")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1], os.Stdout, os.Stderr); err != nil {
		stop()
		log.Fatal(err)
	}
}

// server is the host's side: the services the provider calls, and what it
// prints.
type server struct {
	mu     sync.Mutex // one line at a time
	stdout io.Writer
	stderr io.Writer

	events chan providerapi.Event // the erase events, for run to wait on
}

// publish is events.publish: the host prints each event as it arrives.
func (s *server) publish(e providerapi.Event) {
	s.printf("event %s %s %s: %s\n", e.Type, e.Key, e.Action, e.Detail)
	if e.Action == "erase" || e.Action == "canceled" {
		s.events <- e
	}
}

// logLine is log.line: the provider's log, on stderr.
func (s *server) logLine(level, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.stderr, "provider %s: %s\n", level, message)
}

func (s *server) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.stdout, format, args...)
}

// report prints the result of an action.
func (s *server) report(a providerapi.Action, state string, err error) {
	switch {
	case errors.Is(err, context.Canceled):
		s.printf("action %s %s: canceled by the host\n", a.Command, a.Machine)
	case err != nil:
		s.printf("action %s %s: failed: %v\n", a.Command, a.Machine, err)
	default:
		s.printf("action %s %s: %s\n", a.Command, a.Machine, state)
	}
}

// run starts the provider, has it work, and stops it.
func run(ctx context.Context, pluginPath string, stdout, stderr io.Writer) error {
	plug, err := pluginexec.NewPlugin(ctx, pluginPath)
	if err != nil {
		return err
	}
	s := &server{stdout: stdout, stderr: stderr, events: make(chan providerapi.Event, 10)}
	reg := registry.New()
	reg.AddServices(registry.Services{
		providerapi.EventsNamespace: {"publish": s.publish},
		providerapi.LogNamespace:    {"line": s.logLine},
	})
	p, err := host.Start(ctx, plug, reg, host.WithCommand("listen"))
	if err != nil {
		return err
	}
	err = work(ctx, s, p)
	if stopErr := p.Stop(ctx); stopErr != nil {
		return errors.Join(err, fmt.Errorf("stopping the provider: %w", stopErr))
	}
	if err == nil {
		s.printf("stopped\n")
	}
	return err
}

// work configures the provider and has it run actions.
func work(ctx context.Context, s *server, p *host.Running) error {
	var config providerapi.ConfigFunc
	var action providerapi.ActionFunc
	err := errors.Join(
		p.GetService(providerapi.Namespace, "config", &config),
		p.GetService(providerapi.Namespace, "action", &action))
	if err != nil {
		return err
	}

	cfg := providerapi.Config{Site: "lab", Machines: []string{"m1", "m2", "m3"}}
	if err := config(ctx, cfg); err != nil {
		return err
	}
	s.printf("configured: site %s, machines %v\n", cfg.Site, cfg.Machines)

	// Three actions at once: the provider runs them concurrently, each
	// publishing its events while it runs.
	var wg sync.WaitGroup
	for _, a := range []providerapi.Action{power("m1", "on"), power("m2", "on"), power("m3", "off")} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state, err := action(ctx, a)
			s.report(a, state, err)
		}()
	}
	wg.Wait()

	// One that fails: the provider's error comes back as the call's.
	m4 := power("m4", "on")
	state, err := action(ctx, m4)
	s.report(m4, state, err)

	return eraseAndCancel(ctx, s, p, action)
}

// eraseAndCancel starts a slow erase, cancels it once the provider says it
// is erasing, and waits for the provider to report that it stopped.
func eraseAndCancel(ctx context.Context, s *server, p *host.Running, action providerapi.ActionFunc) error {
	erase := providerapi.Action{Command: "erase", Machine: "m1"}
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		state string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		state, err := action(ectx, erase)
		done <- result{state, err}
	}()
	if _, err := awaitEvent(ctx, s, p, "erase"); err != nil {
		return err
	}
	cancel()
	r := <-done // at once: a canceled call returns without waiting for the plugin
	if _, err := awaitEvent(ctx, s, p, "canceled"); err != nil {
		return fmt.Errorf("the provider did not report the canceled erase: %w", err)
	}
	s.report(erase, r.state, r.err)
	return nil
}

// awaitEvent waits for the provider's next erase event, which must be of
// action.
func awaitEvent(ctx context.Context, s *server, p *host.Running, action string) (providerapi.Event, error) {
	watchdog := time.NewTimer(time.Minute)
	defer watchdog.Stop()
	select {
	case e := <-s.events:
		if e.Action != action {
			return e, fmt.Errorf("the provider published %+v, want a %s event", e, action)
		}
		return e, nil
	case <-p.Done():
		return providerapi.Event{}, fmt.Errorf("the provider exited: %w", p.Wait())
	case <-ctx.Done():
		return providerapi.Event{}, ctx.Err()
	case <-watchdog.C:
		return providerapi.Event{}, fmt.Errorf("no %s event in a minute", action)
	}
}

func power(machine, state string) providerapi.Action {
	return providerapi.Action{Command: "power", Machine: machine, Params: map[string]string{"state": state}}
}
