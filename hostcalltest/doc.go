// Package hostcalltest runs the other end of a hostcall connection for
// tests, as net/http/httptest does for HTTP handlers: a host for a
// plugin's code, a plugin for a host's code, a plugin binary against a
// registry, and leak checks a test can call.
//
// Everything runs over real OS pipes with the real protocol; nothing is
// mocked. Each function takes the test's testing.TB first, fails the
// test on a setup error and ends what it started at cleanup (t.Cleanup).
//
// # Testing a plugin's code against a host
//
// A plugin's code that calls the host through a *service.Client runs
// against a registry of the services it needs, served in the test's
// process:
//
//	func TestReport(t *testing.T) {
//		hostcalltest.CheckLeaks(t)
//		reg := registry.New()
//		reg.AddService("findings", "report", func(f Finding) error { ... })
//		c := hostcalltest.NewClient(t, reg)
//		if err := scan(c, "testdata/tree"); err != nil { // the plugin's code
//			t.Fatal(err)
//		}
//	}
//
// # Testing a plugin that serves
//
// A plugin that serves its own registry (service.Serve) while it calls
// the host's is tested from the host's side. StartFunc runs the plugin's
// main as a func in the test's process, given its client; StartPlugin runs
// the plugin binary, as host.Start does. Both return once the plugin
// serves, and the returned Plugin calls its services:
//
//	p := hostcalltest.StartFunc(t, hostReg, func(ctx context.Context, c *service.Client) error {
//		return c.Serve(ctx, kv.Registry(c))
//	})
//	var get func(ctx context.Context, key string) (string, error)
//	if err := p.GetService("kv", "get", &get); err != nil {
//		t.Fatal(err)
//	}
//
// A plugin command that runs to completion is run by RunPlugin, which
// returns its stdout, stderr and exit.
//
// # Leaks
//
// CheckLeaks, called first in a test, fails it if goroutines or child
// processes started during the test outlive it, and names them. Every
// function of this package ends what it started by cleanup, before
// CheckLeaks looks.
package hostcalltest
