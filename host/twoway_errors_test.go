//go:build linux

package host_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The contract both ends of the two-way tests share: registered in a
// variable's initializer, so that the plugin (this binary, which leaves in
// an init function) has them too.
var (
	errNotFound  = errors.New("not found")
	errReadOnly  = errors.New("read only")
	errNeverSent = errors.New("never registered")
	_            = registerContractErrors()
)

// conflictError is registered as a type: its fields cross.
type conflictError struct {
	Key    string
	Holder int
	Tags   []string
}

func (e *conflictError) Error() string { return fmt.Sprintf("%s is held by %d", e.Key, e.Holder) }

// quotaError is registered as a type with a value receiver.
type quotaError struct{ Used, Limit int }

func (e quotaError) Error() string { return fmt.Sprintf("quota: %d of %d", e.Used, e.Limit) }

func registerContractErrors() bool {
	registry.RegisterError("test.not_found", errNotFound)
	registry.RegisterError("test.read_only", errReadOnly)
	registry.RegisterError("test.conflict", &conflictError{})
	registry.RegisterError("test.quota", quotaError{})
	registry.RegisterError("test.quota", quotaError{Used: 1}) // the same type again: allowed
	return true
}

// contractError returns the error of kind, each wrapped the way services do.
func contractError(kind string) error {
	switch kind {
	case "not-found":
		return fmt.Errorf("find %q: %w", "k", errNotFound)
	case "conflict":
		return fmt.Errorf("lock: %w", &conflictError{Key: "k", Holder: 42, Tags: []string{"a", "b"}})
	case "quota":
		return quotaError{Used: 7, Limit: 5}
	case "joined":
		return errors.Join(errors.New("first"), errReadOnly)
	case "plain":
		return fmt.Errorf("plain: %w", errNeverSent)
	}
	return nil
}

// addErrorServices adds the plugin's error services: errs.fail returns the
// error of a kind; errs.relay calls the host's errs.fail and returns what
// it got unchanged; errs.check calls it and reports what errors.Is and
// errors.As saw at the plugin.
func addErrorServices(reg *registry.Registry, c *service.Client) {
	var hostFail func(ctx context.Context, kind string) error
	c.GetService("errs", "fail", &hostFail)
	reg.AddService("errs", "fail", func(kind string) error { return contractError(kind) })
	reg.AddService("errs", "relay", func(ctx context.Context, kind string) error { return hostFail(ctx, kind) })
	reg.AddService("errs", "check", func(ctx context.Context, kind string) (string, error) {
		return describeError(hostFail(ctx, kind)), nil
	})
}

// describeError says what errors.Is and errors.As find in err.
func describeError(err error) string {
	var parts []string
	for _, s := range []struct {
		name string
		err  error
	}{{"not-found", errNotFound}, {"read-only", errReadOnly}, {"never", errNeverSent}, {"service-error", service.ErrServiceError}} {
		if errors.Is(err, s.err) {
			parts = append(parts, s.name)
		}
	}
	var ce *conflictError
	if errors.As(err, &ce) {
		parts = append(parts, fmt.Sprintf("conflict{%s %d %v}", ce.Key, ce.Holder, ce.Tags))
	}
	var qe quotaError
	if errors.As(err, &qe) {
		parts = append(parts, fmt.Sprintf("quota{%d %d}", qe.Used, qe.Limit))
	}
	if err != nil {
		parts = append(parts, "message="+err.Error())
	}
	return strings.Join(parts, " ")
}

// Registered errors keep their identity across the connection, both ways:
// errors.Is and errors.As hold at the caller, the message is the
// service's, named after the call.
func TestRegisteredErrorsCross(t *testing.T) {
	plug := twoWayPlugin(t)
	h := newHostSide()
	h.reg.AddService("errs", "fail", func(kind string) error { return contractError(kind) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := host.Start(ctx, plug, h.reg, host.WithCommand("serve"), host.WithExecOptions(twoWayEnvs))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	var fail, relay func(ctx context.Context, kind string) error
	var check func(ctx context.Context, kind string) (string, error)
	for name, fn := range map[string]any{"fail": &fail, "relay": &relay, "check": &check} {
		if err := p.GetService("errs", name, fn); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"not-found": `not-found service-error message=service errs.%s: find "k": not found`,
		"conflict":  `service-error conflict{k 42 [a b]} message=service errs.%s: lock: k is held by 42`,
		"quota":     `service-error quota{7 5} message=service errs.%s: quota: 7 of 5`,
		"joined":    "read-only service-error message=service errs.%s: first\nread only",
		// Not registered: a service error with its message, nothing more.
		"plain": `service-error message=service errs.%s: plain: never registered`,
	}
	for kind, w := range want {
		// The plugin's error, at the host.
		if got := describeError(fail(ctx, kind)); got != fmt.Sprintf(w, "fail") {
			t.Errorf("plugin's %s error at the host:\n got %s\nwant %s", kind, got, fmt.Sprintf(w, "fail"))
		}
		// The host's error, at the plugin.
		if got, err := check(ctx, kind); err != nil || got != fmt.Sprintf(w, "fail") {
			t.Errorf("host's %s error at the plugin:\n got %s, %v\nwant %s", kind, got, err, fmt.Sprintf(w, "fail"))
		}
		// The host's error, passed on by the plugin's service unchanged:
		// it keeps its identity over two hops.
		if got := describeError(relay(ctx, kind)); kind != "plain" && !strings.HasPrefix(got, strings.Split(w, " message=")[0]) {
			t.Errorf("host's %s error relayed by the plugin:\n got %s\nwant it to start %s", kind, got, strings.Split(w, " message=")[0])
		}
	}
}

func TestRegisterErrorMisuse(t *testing.T) {
	tests := []struct {
		name, code string
		err        error
		want       string
	}{
		{"nil error", "test.nil", nil, "the error is nil"},
		{"empty code", "", errors.New("x"), "is empty"},
		{"protocol's code", "bad_arguments", errors.New("x"), "protocol's own codes"},
		{"space", "test. x", errors.New("x"), "at byte 5"},
		{"no dot", "test_x", errors.New("x"), "has no dot"},
		{"dot last", "test.", errors.New("x"), "has no dot"},
		{"code taken", "test.not_found", errors.New("x"), `already registered for not found`},
		{"error taken", "test.other", errNotFound, `already registered as "test.not_found"`},
		{"type taken", "test.other", &conflictError{Key: "x"}, `already registered as "test.conflict"`},
		{"too long", strings.Repeat("x", 129), errors.New("x"), "longer than 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "registry.RegisterError(") || !strings.Contains(s, tt.want) {
					t.Errorf("RegisterError(%q, %v) panicked with %v, want a message with %q", tt.code, tt.err, r, tt.want)
				}
			}()
			registry.RegisterError(tt.code, tt.err)
		})
	}
}
