//go:build !unix

package wire

import "syscall"

func rawConn(any) syscall.RawConn { return nil }

func tryWrite(syscall.RawConn, []byte) (int, error) { return 0, nil }
