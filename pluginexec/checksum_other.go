//go:build !linux

package pluginexec

import "os"

// sealed hashes the binary; it then runs by its path.
func (cs *checksum) sealed(p *Process, bin *os.File) (func(), error) {
	if err := cs.verify(p.Path, bin); err != nil {
		return nil, err
	}
	return func() {}, nil
}
