//go:build linux

package process

import (
	"context"
	"crypto"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

// credentialRole is the test binary as a plugin that reports, through an
// echo call to the host, the user and groups it runs as.
const credentialRole = "credential"

// Unused user and group ids the credential case runs its plugin as.
const credUID, credGID = 4242, 4343

// credentialMain dials the host, echoes "uid U gid G groups [...]" through
// it and prints the reply.
func credentialMain() int {
	if err := service.InitServiceClient(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	var echo func(string) (string, error)
	getService("echo", &echo)
	groups, err := os.Getgroups()
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	got, err := echo(fmt.Sprintf("uid %d gid %d groups %v", os.Getuid(), os.Getgid(), groups))
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin: echo:", err)
		return 1
	}
	fmt.Println(got)
	return 0
}

// binarySHA256 is the digest of the test binary.
func binarySHA256(t *testing.T) []byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

// TestPluginUnderAnotherUser runs a plugin as another user and group,
// bound to a host through inherited pipes, which it can use whatever its
// user (the default binding, through /proc/HOSTPID/fd, is refused to a
// plugin that may not trace the host: "permission denied"). The test binary lies in a directory only root may enter: the
// plugin runs the checked in-memory copy that WithChecksum makes.
func TestPluginUnderAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch uid")
	}
	checkLeaks(t)
	plug := testPlugin(t)
	s := newHostState()
	e := startExec(t, runs(plug, &pluginexec.Command{Path: []string{"credential"}, Type: "credential"}),
		pluginexec.WithEnv(roleEnv+"="+credentialRole),
		pluginexec.WithCredential(credUID, credGID),
		pluginexec.WithChecksum(crypto.SHA256, binarySHA256(t)),
		host.Bind(s.registry(), host.WithInheritedPipes()))
	if err := e.wait(t, 60*time.Second); err != nil {
		t.Fatalf("Exec = %v", err)
	}
	want := fmt.Sprintf("uid %d gid %d groups []", credUID, credGID)
	if got := strings.TrimSpace(e.stdout.String()); got != want {
		t.Errorf("the plugin reported %q, want %q", got, want)
	}
	if n := s.echoed.Load(); n != 1 {
		t.Errorf("the host served %d echo calls, want 1", n)
	}
}
