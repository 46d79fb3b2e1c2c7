//go:build !linux

package fdpipe

import (
	"io"
	"os"
)

// Adopt returns f: other systems keep the runtime's netpoller.
func Adopt(f *os.File) io.ReadWriteCloser { return f }
