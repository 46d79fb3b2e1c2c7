// Package kvapi is the contract between the kv host and its plugin: the
// names of the services each end serves, their signatures, and the error
// they share. Both ends import it; nothing else is shared, and nothing is
// generated.
package kvapi

import (
	"context"
	"errors"

	"github.com/hostcall/hostcall/registry"
)

// The plugin serves the namespace Namespace:
//
//	put(ctx, key string, value int64) error   adds value to key's counter
//	get(ctx, key string) (int64, error)       key's counter, or ErrNotFound
//
// and, while it serves put, calls the host's HelperNamespace:
//
//	sum(ctx, a, b int64) (int64, error)       a + b, computed by the host
const (
	Namespace       = "kv"
	HelperNamespace = "helper"
)

// The consumer funcs of the services: the types a caller declares and fills
// with GetService.
type (
	Put = func(ctx context.Context, key string, value int64) error
	Get = func(ctx context.Context, key string) (int64, error)
	Sum = func(ctx context.Context, a, b int64) (int64, error)
)

// ErrNotFound is what get returns for a key that was never put.
var ErrNotFound = errors.New("kv: no such key")

// Registered under a code of its own, by both ends since both import this
// package: a plugin's error that wraps ErrNotFound crosses the pipe with
// that code, and errors.Is(err, ErrNotFound) holds in the host.
func init() {
	registry.RegisterError("kv.not_found", ErrNotFound)
}
