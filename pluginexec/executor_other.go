//go:build !unix

package pluginexec

import (
	"fmt"
	"runtime"
	"syscall"
)

// sysProcAttr has nothing to add where there are no process groups, and
// refuses a credential, which cannot be applied.
func sysProcAttr(p *Process) (*syscall.SysProcAttr, error) {
	if p.Credential != nil {
		return nil, fmt.Errorf("pluginexec: running a plugin as %v is not supported on %s", *p.Credential, runtime.GOOS)
	}
	return nil, nil
}
