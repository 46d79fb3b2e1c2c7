//go:build !linux

package fdpipe

import "os"

// Adopt returns f: other systems keep the runtime's netpoller.
func Adopt(f *os.File) Conn { return f }

// Is reports false: there are no Files on other systems.
func Is(any) bool { return false }
