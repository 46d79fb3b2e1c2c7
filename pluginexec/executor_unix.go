//go:build unix

package pluginexec

import "syscall"

// sysProcAttr puts the child in a process group of its own, with the
// platform's attributes and p's credential.
func sysProcAttr(p *Process) (*syscall.SysProcAttr, error) {
	attr := platformAttr()
	attr.Setpgid = true
	if c := p.Credential; c != nil {
		// No Groups: the child is left with no supplementary group.
		attr.Credential = &syscall.Credential{Uid: c.UID, Gid: c.GID}
	}
	return attr, nil
}
