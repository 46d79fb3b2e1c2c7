package pluginexec

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Unused user and group ids the credential tests run plugins as.
const testUID, testGID = 4242, 4343

// wantIDs is what the ids command prints when run as testUID/testGID.
const wantIDs = "uid 4242 gid 4343 groups []\n"

// needRoot skips t unless the test process may switch uid.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch uid")
	}
}

// idsEnv makes the test binary, run directly, the helper plugin with the
// ids command.
var idsEnv = WithEnv(envHelper+"=plugin", envCommands+"=ids:ids", "GORACE="+noExitSleep)

// publicCopy copies the test binary, whose go-build directory only the
// host's user may enter, into a directory every user may enter, and
// returns the copy's path.
func publicCopy(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pluginexec-credential")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(dir, "plugin")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCredential runs a plugin as another user and group: its info run
// and its command, through a custom executor that sees the credential and
// delegates to DefaultExecutor.
func TestCredential(t *testing.T) {
	needRoot(t)
	noLeftovers(t)
	var seen []string
	wrap := func(ctx context.Context, p *Process) error {
		if p.Credential != nil {
			seen = append(seen, p.Credential.String())
		}
		return DefaultExecutor(ctx, p)
	}
	opts := WithExecOptions(idsEnv, WithCredential(testUID, testGID), WithExecutor(wrap))
	p, err := NewPlugin(testContext(t), publicCopy(t), opts, WithStderr(testWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Exec(testContext(t), p, nil, opts, WithStdout(&out), WithStderr(testWriter{t})); err != nil {
		t.Fatal(err)
	}
	if out.String() != wantIDs {
		t.Errorf("the plugin reported %q, want %q", out.String(), wantIDs)
	}
	if want := "uid 4242 gid 4343"; len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Errorf("the executor saw credentials %q, want %q for the info run and the command", seen, want)
	}
}

// TestCredentialChecksum runs, as another user, the checked in-memory
// copy of a binary that user could not execute by its path.
func TestCredentialChecksum(t *testing.T) {
	needRoot(t)
	noLeftovers(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlugin(testContext(t), exe, idsEnv)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = Exec(testContext(t), p, nil, idsEnv, WithCredential(testUID, testGID),
		WithChecksum(crypto.SHA256, fileSHA256(t, exe)), WithStdout(&out), WithStderr(testWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != wantIDs {
		t.Errorf("the plugin reported %q, want %q", out.String(), wantIDs)
	}
}

// TestCredentialCannotExecute runs, as another user, a binary that user
// may not execute: the error says which user and why.
func TestCredentialCannotExecute(t *testing.T) {
	needRoot(t)
	noLeftovers(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlugin(testContext(t), exe, idsEnv)
	if err != nil {
		t.Fatal(err)
	}
	err = Exec(testContext(t), p, nil, idsEnv, WithCredential(testUID, testGID), WithStdout(io.Discard))
	if err == nil {
		t.Fatalf("%s ran as uid %d, which may not enter its directory", exe, testUID)
	}
	for _, want := range []string{exe, "as uid 4242 gid 4343", "permission denied"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestConfigCredential reads the credential from the configuration, the
// way an option that sets up resources for the plugin does.
func TestConfigCredential(t *testing.T) {
	var got []Credential
	var oks []bool
	record := func(c *ExecConfig) {
		cred, ok := c.Credential()
		got, oks = append(got, cred), append(oks, ok)
	}
	cfg := newExecConfig([]ExecOption{record, WithCredential(1, 2), record})
	want := Credential{UID: 1, GID: 2}
	if oks[0] || !oks[1] || got[1] != want {
		t.Errorf("Credential() = %v %v, then %v %v; want none, then %v", got[0], oks[0], got[1], oks[1], want)
	}
	if c, ok := cfg.clone().Credential(); !ok || c != want {
		t.Errorf("a clone has credential %v %v, want %v", c, ok, want)
	}
}
