//go:build unix && !linux

package pluginexec

import "syscall"

// platformAttr has nothing to add where there is no parent-death signal.
func platformAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
