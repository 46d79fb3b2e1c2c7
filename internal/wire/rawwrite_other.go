//go:build !(linux || darwin)

package wire

import "syscall"

func rawConn(any) syscall.RawConn { return nil }

func tryWritev(syscall.RawConn, [][]byte) (int, error) { return 0, nil }
