package pluginexec

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

func fileSHA256(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return sum[:]
}

func TestChecksumRunsAMatchingBinary(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "sum", "")
	var out bytes.Buffer
	err := Exec(testContext(t), IterateTyped(p, "scanner"), []string{"x"},
		WithChecksum(crypto.SHA256, fileSHA256(t, p.Path())), WithStdout(&out))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"x"`) {
		t.Errorf("plugin printed %q, want its argv", out.String())
	}
}

func TestChecksumRefusesAMismatch(t *testing.T) {
	noLeftovers(t)
	p := newHelper(t, "sum", "")
	wrong := bytes.Repeat([]byte{0xab}, sha256.Size)
	var out bytes.Buffer
	err := Exec(testContext(t), IterateTyped(p, "scanner"), nil, WithChecksum(crypto.SHA256, wrong), WithStdout(&out))
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("Exec = %v, want ErrChecksum", err)
	}
	actual := fmt.Sprintf("%x", fileSHA256(t, p.Path()))
	for _, want := range []string{p.Path(), actual, fmt.Sprintf("%x", wrong)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("the refused plugin ran and printed %q", out.String())
	}
	// info runs are checked too
	if _, err := NewPlugin(testContext(t), p.Path(), WithChecksum(crypto.SHA256, wrong)); !errors.Is(err, ErrChecksum) {
		t.Errorf("NewPlugin = %v, want ErrChecksum", err)
	}
}

// The bytes that run are the bytes that were checked: rewriting the binary
// on disk between the check and the exec changes nothing.
func TestChecksumRunsTheCheckedBytes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sealed copy needs memfd_create, which only Linux has")
	}
	noLeftovers(t)
	p := newHelper(t, "sum", "")
	sum := fileSHA256(t, p.Path())
	tamper := func(ctx context.Context, proc *Process) error {
		// After the check, before the exec: replace the binary in place.
		if err := os.WriteFile(p.Path(), []byte("#!/bin/sh\necho tampered\n"), 0o755); err != nil {
			return err
		}
		return DefaultExecutor(ctx, proc)
	}
	var out bytes.Buffer
	err := Exec(testContext(t), IterateTyped(p, "scanner"), []string{"y"},
		WithChecksum(crypto.SHA256, sum), WithExecutor(tamper), WithStdout(&out))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "tampered") || !strings.Contains(out.String(), `"y"`) {
		t.Errorf("plugin printed %q: the tampered binary ran, not the checked one", out.String())
	}
}
