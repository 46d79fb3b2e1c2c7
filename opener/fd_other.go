//go:build !unix || aix

package opener

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime"
)

// openFD is the FileOpener of the fd scheme, which needs Unix descriptors.
func openFD(u *url.URL, _ int) (io.ReadWriteCloser, error) {
	if _, err := parseFD(u); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("fd URLs are not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
