package pluginexec

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrChecksum reports a plugin binary whose digest is not the expected one.
var ErrChecksum = errors.New("plugin binary digest mismatch")

// checksum is the digest a plugin binary must have.
type checksum struct {
	hash crypto.Hash
	sum  []byte
}

// WithChecksum refuses to run a plugin binary unless its digest under hash
// (crypto.SHA256, say, with its package linked in) is sum. It applies to
// every run the option reaches, info runs included; give each plugin its
// own through WithExecGenerator.
//
// The check is made on the file that is executed: on Linux the binary is
// read once into a sealed in-memory file while it is hashed, and that
// in-memory copy is what runs, so replacing or rewriting the binary after
// the check changes nothing. Elsewhere the binary is hashed and then run by
// its path. A mismatch is an error wrapping ErrChecksum that names the path
// and both digests.
func WithChecksum(hash crypto.Hash, sum []byte) ExecOption {
	cs := &checksum{hash: hash, sum: bytes.Clone(sum)}
	return func(c *ExecConfig) { c.checksum = cs }
}

// verify hashes r and compares the digest.
func (cs *checksum) verify(path string, r io.Reader) error {
	if !cs.hash.Available() {
		return fmt.Errorf("checksum: hash function %v is not linked into the binary", cs.hash)
	}
	h := cs.hash.New()
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("checksum: reading %s: %w", path, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, cs.sum) {
		return fmt.Errorf("%w: %s has %v digest %x, expected %x", ErrChecksum, path, cs.hash, got, cs.sum)
	}
	return nil
}

// apply checks p's binary and rewrites p to run the checked bytes. The
// returned func releases what apply opened, once the process is gone.
func (cs *checksum) apply(p *Process) (release func(), err error) {
	f, err := os.Open(p.Path)
	if err != nil {
		return nil, fmt.Errorf("checksum: %w", err)
	}
	defer f.Close()
	return cs.sealed(p, f)
}
