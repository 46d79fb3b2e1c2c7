package hostcalltest

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// stopWait bounds each wait of a cleanup for what it ends (a host's Serve,
// a plugin func, a plugin process): past it the cleanup reports the wait
// as a failure of the test and goes on, rather than hang the test.
const stopWait = 10 * time.Second

// NewClient serves reg, in the test's process, on two OS pipes, as a host
// serves a plugin (host.Serve), and returns the plugin's end of the
// connection: a client whose calls reach reg's services through the whole
// protocol (framing, hello, cancel, deadlines, blobs, error codes).
//
// At cleanup the client closes its stream, which ends the host's Serve,
// then closes; the test
// fails if Serve does not return within a few seconds or returns an error
// (a service still running after its context ended, see
// host.WithDrainTimeout).
func NewClient(t testing.TB, reg *registry.Registry, opts ...Option) *service.Client {
	t.Helper()
	if reg == nil {
		t.Fatalf("hostcalltest: NewClient with a nil registry")
	}
	cfg := newConfig(opts)
	p := newPipes(t)
	served := make(chan error, 1)
	go func() { served <- host.Serve(context.Background(), reg, p.hostR, p.hostW, cfg.serve...) }()
	c := service.NewClient(p.pluginR, p.pluginW, cfg.client...)
	t.Cleanup(func() {
		// The host reads the end of the plugin's stream while the plugin
		// can still take what the host writes (a hello answer on its way):
		// closing both ends at once would fail that write (EPIPE).
		c.CloseWrite()
		err := waitErr(served)
		c.Close()
		if err != nil && !errors.Is(err, syscall.EPIPE) { // EPIPE: the test closed the client itself
			t.Errorf("hostcalltest: the host's Serve: %v", err)
		}
	})
	return c
}

// errNoReturn is what waitErr returns when the wait is over.
var errNoReturn = errors.New("did not return within " + stopWait.String())

// waitErr waits at most stopWait for the error that ch delivers.
func waitErr(ch <-chan error) error {
	t := time.NewTimer(stopWait)
	defer t.Stop()
	select {
	case err := <-ch:
		return err
	case <-t.C:
		return errNoReturn
	}
}
