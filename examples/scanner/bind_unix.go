//go:build unix

package main

import (
	"fmt"
	"os"

	"github.com/hostcall/hostcall/host"
)

// namedPipes binds through FIFOs made in a fresh temporary directory.
func namedPipes() (host.BindOption, func(), error) {
	dir, err := os.MkdirTemp("", "scanner-fifos-")
	if err != nil {
		return nil, nil, fmt.Errorf("--bind named: %w", err)
	}
	return host.WithNamedPipes(dir, dir), func() { os.RemoveAll(dir) }, nil
}
