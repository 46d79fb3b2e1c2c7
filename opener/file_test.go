//go:build unix

package opener

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// awkwardName is a file name that must be escaped in a URL.
const awkwardName = "a b%20c ü ?#[];,+&=.txt"

func TestFileRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), awkwardName)
	if err := os.WriteFile(p, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rwc, err := Open(FileURL(p), os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer rwc.Close()
	f, ok := rwc.(*os.File)
	if !ok {
		t.Fatalf("Open returned %T, want *os.File", rwc)
	}
	if f.Name() != p {
		t.Errorf("opened %q, want %q", f.Name(), p)
	}
	got, err := io.ReadAll(rwc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello\n" {
		t.Errorf("read %q, want %q", got, "hello\n")
	}
	if _, err := rwc.Write([]byte("x")); err == nil {
		t.Error("write to a file opened os.O_RDONLY succeeded")
	}
}

func TestFileWriteAndCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), awkwardName)
	rwc, err := Open(FileURL(p), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(rwc, "written"); err != nil {
		t.Fatal(err)
	}
	if err := rwc.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "written" {
		t.Errorf("file holds %q, want %q", got, "written")
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// 0600 survives any sane umask (one that leaves the owner rw).
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("created file has mode %v, want 0600", perm)
	}
}

func TestFileFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "in fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	const msg = "through the fifo"
	done := make(chan error, 1)
	go func() {
		// Opening a FIFO for writing blocks until a reader opens it.
		w, err := Open(FileURL(p), os.O_WRONLY)
		if err != nil {
			done <- err
			return
		}
		_, err = io.WriteString(w, msg)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	r, err := Open(FileURL(p), os.O_RDONLY)
	if err != nil {
		// Release the writer, still blocked in open, before failing.
		if f, ferr := os.OpenFile(p, os.O_RDWR, 0); ferr == nil {
			defer f.Close()
		}
		<-done
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*os.File); !ok {
		t.Errorf("Open returned %T, want *os.File", r)
	}
	got, err := io.ReadAll(r)
	if werr := <-done; werr != nil {
		t.Errorf("writer: %v", werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != msg {
		t.Errorf("read %q, want %q", got, msg)
	}
}

// TestFileProcfsAnonymousPipe opens both ends of an anonymous pipe through
// their procfs links, as a plugin does with a host's pipes.
func TestFileProcfsAnonymousPipe(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("needs Linux procfs /proc/<pid>/fd links; GOOS is %s", runtime.GOOS)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	link := func(f *os.File) string {
		return FileURL(fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), f.Fd()))
	}
	w, err := Open(link(pw), os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(link(pr), os.O_RDONLY)
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*os.File); !ok {
		t.Errorf("Open returned %T, want *os.File", r)
	}

	const msg = "through the anonymous pipe"
	if _, err := io.WriteString(w, msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil { // the last writer: r now sees EOF
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != msg {
		t.Errorf("read %q, want %q", got, msg)
	}
}

func TestFileLocalhost(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "LocalHost"} {
		raw := "file://" + host + strings.TrimPrefix(FileURL(p), "file://")
		rwc, err := Open(raw, os.O_RDONLY)
		if err != nil {
			t.Errorf("Open(%q) = %v", raw, err)
			continue
		}
		rwc.Close()
	}
}

func TestFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		url  string
		want []string
		is   error
	}{
		{"file://example.com/etc/passwd", []string{`host "example.com"`, "file:///path"}, nil},
		{"file://user@localhost/x", []string{"user information"}, nil},
		{"file:relative/x", []string{"absolute path", `"relative/x"`}, nil},
		{"file:///x?y", []string{"query or fragment", "FileURL"}, nil},
		{"file:///x#y", []string{"query or fragment"}, nil},
		{"file://", []string{"empty path"}, nil},
		{FileURL(missing), []string{missing}, fs.ErrNotExist},
	}
	for _, tt := range tests {
		rwc, err := Open(tt.url, os.O_RDONLY)
		if err == nil {
			rwc.Close()
			t.Errorf("Open(%q) succeeded", tt.url)
			continue
		}
		if rwc != nil {
			t.Errorf("Open(%q) returned a stream %T with its error", tt.url, rwc)
		}
		prefix := fmt.Sprintf("opener: open %q: ", tt.url)
		if !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("Open(%q) error %q does not start with %q", tt.url, err, prefix)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Open(%q) error %q does not contain %q", tt.url, err, w)
			}
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("Open(%q) error %v is not %v", tt.url, err, tt.is)
		}
	}
}
