//go:build !unix

package host

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// WithNamedPipes binds through FIFOs, which this system does not have:
// every run fails with an error wrapping errors.ErrUnsupported.
func WithNamedPipes(hostDir, pluginDir string) BindOption {
	return WithBindFunc(func(ctx context.Context, plug *pluginexec.Plugin, c *pluginexec.Command,
		next func(context.Context, ...pluginexec.ExecOption) error, reg *registry.Registry) error {
		return fmt.Errorf("host: named pipes on %s: %w", runtime.GOOS, errors.ErrUnsupported)
	})
}
