package hostcalltest

import (
	"os"
	"testing"
)

// pipes are the two OS pipes of one connection, seen from both ends.
type pipes struct {
	hostR, hostW     *os.File // the host reads requests, writes responses
	pluginR, pluginW *os.File // the plugin reads responses, writes requests
}

// newPipes makes a connection's two pipes; every end is closed at cleanup
// (the ends a client owns are closed by its Close before).
func newPipes(t testing.TB) *pipes {
	t.Helper()
	pr, hw, err := os.Pipe()
	if err != nil {
		t.Fatalf("hostcalltest: %v", err)
	}
	hr, pw, err := os.Pipe()
	if err != nil {
		pr.Close()
		hw.Close()
		t.Fatalf("hostcalltest: %v", err)
	}
	p := &pipes{hostR: hr, hostW: hw, pluginR: pr, pluginW: pw}
	t.Cleanup(p.close)
	return p
}

func (p *pipes) close() {
	for _, f := range []*os.File{p.hostR, p.hostW, p.pluginR, p.pluginW} {
		f.Close()
	}
}
