// Command plugin is a provider in the shape of dr-provision's plugin
// providers: the server starts it with `plugin listen --host-file ...`,
// configures it, asks it to run actions on machines and finally stops it;
// while it runs an action it publishes events and log lines to the server.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/examples/provider/providerapi"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// eraseTime is how long erasing a machine's disks takes: longer than any
// server waits, so an erase ends when the server cancels it.
const eraseTime = 10 * time.Minute

func main() {
	pluginexec.ServeInfo(pluginexec.Manifest{Name: "provider", Version: "1.0.0",
		Commands: []pluginexec.Command{{Path: []string{"listen"}, Type: "provider"}}})
	log.SetFlags(0)
	log.SetPrefix("provider: ")

	p := &provider{power: map[string]string{}}
	err := errors.Join(
		service.GetService(providerapi.EventsNamespace, "publish", &p.publish),
		service.GetService(providerapi.LogNamespace, "line", &p.logLine))
	if err != nil {
		log.Fatal(err)
	}
	reg := registry.New()
	reg.AddServices(registry.Services{providerapi.Namespace: {"config": p.config, "action": p.action}})
	if err := service.Serve(context.Background(), reg); err != nil {
		log.Fatal(err)
	}
	// The server stopped us: clean up. Its services are gone with the
	// connection; stderr still reaches it.
	log.Printf("stopped after %d actions", p.actions.Load())
}

// provider runs actions on the machines of one site.
type provider struct {
	publish providerapi.PublishFunc // the server's events.publish
	logLine providerapi.LogFunc     // the server's log.line
	actions atomic.Int64            // actions asked for

	mu    sync.Mutex
	cfg   *providerapi.Config
	power map[string]string // machine -> "on" or "off"
}

// config is provider.config: the server's configuration, before any action.
func (p *provider) config(ctx context.Context, cfg providerapi.Config) error {
	if cfg.Site == "" || len(cfg.Machines) == 0 {
		return errors.New("provider: the config needs a site and machines")
	}
	p.mu.Lock()
	p.cfg = &cfg
	p.mu.Unlock()
	return p.logLine(ctx, "info", fmt.Sprintf("configured for site %s: %d machines", cfg.Site, len(cfg.Machines)))
}

// action is provider.action: it runs a on its machine.
func (p *provider) action(ctx context.Context, a providerapi.Action) (string, error) {
	p.actions.Add(1)
	if err := p.check(a.Machine); err != nil {
		return "", err
	}
	switch a.Command {
	case "power":
		return p.setPower(ctx, a.Machine, a.Params["state"])
	case "erase":
		return p.erase(ctx, a.Machine)
	}
	return "", fmt.Errorf("provider: no command %q", a.Command)
}

// check makes sure the provider is configured and manages machine.
func (p *provider) check(machine string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg == nil {
		return errors.New("provider: not configured")
	}
	if !slices.Contains(p.cfg.Machines, machine) {
		return fmt.Errorf("provider: no machine %q at site %s", machine, p.cfg.Site)
	}
	return nil
}

// setPower switches machine on or off, publishing an event before and after.
func (p *provider) setPower(ctx context.Context, machine, state string) (string, error) {
	if state != "on" && state != "off" {
		return "", fmt.Errorf("provider: power %s: state %q, want on or off", machine, state)
	}
	if err := p.publish(ctx, event(machine, "power", "switching "+state)); err != nil {
		return "", err
	}
	p.mu.Lock()
	p.power[machine] = state // a real provider asks the machine's BMC here
	p.mu.Unlock()
	if err := p.publish(ctx, event(machine, "power", state)); err != nil {
		return "", err
	}
	return state, p.logLine(ctx, "info", fmt.Sprintf("%s is %s", machine, state))
}

// erase wipes machine's disks: it takes eraseTime, unless the server
// cancels the call (or its deadline passes) first.
func (p *provider) erase(ctx context.Context, machine string) (string, error) {
	if err := p.publish(ctx, event(machine, "erase", "erasing disks")); err != nil {
		return "", err
	}
	t := time.NewTimer(eraseTime)
	defer t.Stop()
	select {
	case <-t.C:
		return "erased", p.publish(ctx, event(machine, "erase", "erased"))
	case <-ctx.Done():
	}
	// The server canceled the call. ctx is done, so the provider tells the
	// server on a context of its own that it stopped, and why: the event
	// last, as the server waits for it before it stops the provider.
	report := context.WithoutCancel(ctx)
	err := errors.Join(
		p.logLine(report, "warn", fmt.Sprintf("%s: erase stopped half-way", machine)),
		p.publish(report, event(machine, "canceled", "erase stopped: "+ctx.Err().Error())))
	return "", errors.Join(ctx.Err(), err)
}

func event(machine, action, detail string) providerapi.Event {
	return providerapi.Event{Type: "machines", Key: machine, Action: action, Detail: detail}
}
