//go:build !unix

package service

import (
	"fmt"
	"runtime"
	"time"
)

func (c *Client) guardOrphan(time.Duration, func(time.Duration)) error {
	return fmt.Errorf("service: orphan guard: not available on %s", runtime.GOOS)
}
