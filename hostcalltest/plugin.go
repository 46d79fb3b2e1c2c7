package hostcalltest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hostcall/hostcall/service"
)

// Plugin is a plugin under test that serves its own registry to the host
// (service.Serve), seen from the host: a func in the test's process
// (StartFunc) or a plugin process (StartPlugin). The host calls it through
// Client or GetService while the plugin calls the host's registry.
type Plugin struct {
	client *service.Client
	stop   func() error // ends the plugin and returns how it ended

	once    sync.Once
	err     error
	stopped bool // Stop was called by the test
	mu      sync.Mutex
}

// newPlugin returns a Plugin that stop ends, stopped at cleanup: a plugin
// the test did not stop itself fails the test if it ended with an error.
func newPlugin(t testing.TB, c *service.Client, stop func() error) *Plugin {
	p := &Plugin{client: c, stop: stop}
	t.Cleanup(func() {
		p.mu.Lock()
		byTest := p.stopped
		p.mu.Unlock()
		if err := p.end(); err != nil && !byTest {
			t.Errorf("hostcalltest: plugin: %v", err)
		}
	})
	return p
}

// Client returns the host's client for the plugin: its calls reach the
// services the plugin serves.
func (p *Plugin) Client() *service.Client { return p.client }

// GetService fills *fnPtr with a func that calls the plugin's service
// ns.name, with the rules of service.Client.GetService.
func (p *Plugin) GetService(ns, name string, fnPtr any) error {
	return p.client.GetService(ns, name, fnPtr)
}

// Stop ends the plugin and returns how it ended: nil when it left cleanly.
// It ends the host's stream to the plugin first, so that a plugin in
// service.Serve returns nil and leaves on its own; a plugin that does not
// is then stopped: a func's context is canceled, a process is sent SIGTERM,
// then SIGKILL after its grace period. Stop is idempotent and is called at
// cleanup; there, an error fails the test, while a test that calls Stop
// itself checks the error as it means to.
func (p *Plugin) Stop() error {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	return p.end()
}

func (p *Plugin) end() error {
	p.once.Do(func() { p.err = p.stop() })
	return p.err
}

// errNotServing words a plugin that ended before it served.
func errNotServing(what string, err error) error {
	if err == nil {
		err = errors.New("it returned nil")
	}
	return fmt.Errorf("%s ended before it served: %w", what, err)
}
