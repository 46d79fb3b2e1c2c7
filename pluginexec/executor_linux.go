package pluginexec

import "syscall"

// platformAttr makes the child die with its host: the kernel sends it
// SIGKILL when the thread that started it exits. (The signal is set after
// the child changes credentials, which would clear it.)
func platformAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
