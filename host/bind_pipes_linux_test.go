package host

import (
	"io"
	"testing"

	"github.com/hostcall/hostcall/internal/fdpipe"
)

// The host's ends of a plugin's pipes wait outside the runtime's
// netpoller (internal/fdpipe); the plugin's ends stay files to hand on.
func TestPipePairHostEndsAreAdopted(t *testing.T) {
	p, err := newPipePair()
	if err != nil {
		t.Fatal(err)
	}
	defer p.closeHost()
	defer p.closePlugin()
	for name, end := range map[string]io.ReadWriteCloser{"hostR": p.hostR, "hostW": p.hostW} {
		if _, ok := end.(*fdpipe.File); !ok {
			t.Errorf("%s is a %T, want *fdpipe.File", name, end)
		}
	}
	// Both directions carry bytes.
	msg := []byte("ping")
	if _, err := p.pluginW.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(p.hostR, got); err != nil || string(got) != "ping" {
		t.Fatalf("host read %q, %v", got, err)
	}
	if _, err := p.hostW.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(p.pluginR, got); err != nil || string(got) != "pong" {
		t.Fatalf("plugin read %q, %v", got, err)
	}
}
