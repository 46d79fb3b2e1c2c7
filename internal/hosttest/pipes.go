package hosttest

import (
	"os"
	"testing"
)

// Pipes are the two OS pipes of a connection, seen from both ends.
type Pipes struct {
	HostR, HostW     *os.File // the host reads requests, writes responses
	PluginR, PluginW *os.File // the plugin reads responses, writes requests
}

// NewPipes makes a connection's two pipes and closes every end at cleanup.
func NewPipes(t testing.TB) *Pipes {
	t.Helper()
	pr, hw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	hr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &Pipes{HostR: hr, HostW: hw, PluginR: pr, PluginW: pw}
	t.Cleanup(func() {
		for _, f := range []*os.File{hr, hw, pr, pw} {
			f.Close()
		}
	})
	return p
}
