package pluginexec

import "syscall"

// sysProcAttr makes the child die with its host: the kernel sends it SIGKILL
// when the thread that started it exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
