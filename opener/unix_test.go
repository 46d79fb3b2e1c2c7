package opener

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnixEcho(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host call.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("cannot listen on a Unix socket: %v", err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(c, c)
		done <- err
	}()

	rwc, err := Open(UnixURL(path), os.O_RDWR)
	if err != nil {
		ln.Close() // ends Accept
		<-done
		t.Fatal(err)
	}
	defer rwc.Close()
	uc, ok := rwc.(*net.UnixConn)
	if !ok {
		t.Fatalf("Open returned %T, want *net.UnixConn", rwc)
	}
	const msg = "ping through the socket"
	if _, err := io.WriteString(uc, msg); err != nil {
		t.Fatal(err)
	}
	if err := uc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(uc)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("echo server: %v", err)
	}
	if string(got) != msg {
		t.Errorf("echoed %q, want %q", got, msg)
	}
}

func TestUnixErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nobody.sock")
	tests := []struct {
		url  string
		want string
	}{
		{UnixURL(missing), missing},
		{"unix://example.com/run/x.sock", `host "example.com"`},
		{"unix:run/x.sock", "absolute path"},
		{"unix:///run/x.sock?x", "UnixURL"},
	}
	for _, tt := range tests {
		rwc, err := Open(tt.url, os.O_RDWR)
		if err == nil {
			rwc.Close()
			t.Errorf("Open(%q) succeeded", tt.url)
			continue
		}
		if prefix := fmt.Sprintf("opener: open %q: ", tt.url); !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("Open(%q) error %q does not start with %q", tt.url, err, prefix)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q) error %q does not contain %q", tt.url, err, tt.want)
		}
	}
}
