//go:build unix && !aix

package opener

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// helperEnv names the environment variable that turns the test binary into
// a helper process; its value picks the helper.
const helperEnv = "OPENER_TEST_HELPER"

var helpers = map[string]func() error{
	"fd-echo":  helperFDEcho,
	"fd-stdio": helperFDStdio,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		h, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
			os.Exit(2)
		}
		if err := h(); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", name, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperFDEcho opens its inherited fd 3 for reading and fd 4 for writing,
// as a plugin does with fd://3 and fd://4, and copies one to the other.
func helperFDEcho() error {
	in, err := Open("fd://3", os.O_RDONLY)
	if err != nil {
		return err
	}
	out, err := Open("fd://4", os.O_WRONLY)
	if err != nil {
		return err
	}
	for n, rwc := range map[int]io.ReadWriteCloser{3: in, 4: out} {
		f, ok := rwc.(*os.File)
		if !ok {
			return fmt.Errorf("fd://%d opened as %T, want *os.File", n, rwc)
		}
		if err := checkCloexec(int(f.Fd())); err != nil {
			return fmt.Errorf("fd://%d: %w", n, err)
		}
		if want := FDURL(n); f.Name() != want {
			return fmt.Errorf("fd://%d opened as a file named %q, want %q", n, f.Name(), want)
		}
	}
	if again, err := Open("fd://3", os.O_RDONLY); err == nil {
		again.Close()
		return errors.New("fd://3 opened a second time")
	} else if !strings.Contains(err.Error(), "already opened") {
		return fmt.Errorf("second open of fd://3: %v, want an already-opened error", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	if err := in.Close(); err != nil {
		return err
	}
	return out.Close()
}

// helperFDStdio opens its standard streams by fd URL and checks that
// closing what Open returned leaves os.Stdin and os.Stdout working.
func helperFDStdio() error {
	if rwc, err := Open("fd://1", os.O_RDONLY); err == nil {
		rwc.Close()
		return errors.New("fd://1, a pipe's write end, opened for reading")
	} else if !strings.Contains(err.Error(), "write-only") {
		return fmt.Errorf("fd://1 for reading: %v, want a write-only error", err)
	}
	in, err := Open("fd://0", os.O_RDONLY)
	if err != nil {
		return err
	}
	var b [1]byte
	if _, err := io.ReadFull(in, b[:]); err != nil {
		return err
	}
	if err := in.Close(); err != nil {
		return err
	}
	rest, err := io.ReadAll(os.Stdin)
	if err != nil {
		return fmt.Errorf("os.Stdin after closing fd://0: %w", err)
	}
	out, err := Open("fd://1", os.O_WRONLY)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(out, "fd://0 read %q\n", b[:]); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	_, err = fmt.Printf("os.Stdin read %q\n", rest)
	return err
}

func checkCloexec(fd int) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		return err
	}
	if fl&unix.FD_CLOEXEC == 0 {
		return fmt.Errorf("descriptor %d is not close-on-exec", fd)
	}
	return nil
}

// helperCmd returns a command that runs this test binary as the named
// helper.
func helperCmd(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary to re-execute: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	// Under -race a child otherwise sleeps a second before exiting.
	race := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, "GORACE="+race)
	return cmd
}

// TestFDInherited runs a child that inherits two pipe ends as fd 3 and
// fd 4 and echoes through them.
func TestFDInherited(t *testing.T) {
	toChild, childIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer toChild.Close()
	defer childIn.Close()
	childOut, fromChild, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer childOut.Close()
	defer fromChild.Close()

	cmd := helperCmd(t, "fd-echo")
	cmd.ExtraFiles = []*os.File{toChild, fromChild} // fd 3, fd 4
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Keep only our ends, so EOF travels.
	toChild.Close()
	fromChild.Close()

	const msg = "hello through fd 3 and back through fd 4\n"
	_, werr := io.WriteString(childIn, msg)
	childIn.Close()
	got, rerr := io.ReadAll(childOut)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\n%s", err, stderr.Bytes())
	}
	if werr != nil || rerr != nil {
		t.Fatalf("write: %v, read: %v", werr, rerr)
	}
	if string(got) != msg {
		t.Errorf("echoed %q, want %q", got, msg)
	}
}

func TestFDStandardStreams(t *testing.T) {
	cmd := helperCmd(t, "fd-stdio")
	cmd.Stdin = strings.NewReader("xyz")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\n%s", err, stderr.Bytes())
	}
	want := "fd://0 read \"x\"\nos.Stdin read \"yz\"\n"
	if got := stdout.String(); got != want {
		t.Errorf("helper wrote %q, want %q", got, want)
	}
}

// rawPipe returns a pipe as bare descriptors that no *os.File owns, which
// is what an inherited descriptor is. Cleanup closes what is still open
// and forgets their adoption.
func rawPipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	t.Cleanup(func() {
		adopted.Lock()
		defer adopted.Unlock()
		for _, fd := range p {
			if adopted.fds[fd] {
				delete(adopted.fds, fd) // closed already by the adoption
			} else {
				unix.Close(fd)
			}
		}
	})
	return p[0], p[1]
}

func TestFDAdoptsAndClosesOriginal(t *testing.T) {
	r, w := rawPipe(t)
	rwc, err := Open(FDURL(w), os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer rwc.Close()
	f, ok := rwc.(*os.File)
	if !ok {
		t.Fatalf("Open returned %T, want *os.File", rwc)
	}
	if int(f.Fd()) == w {
		t.Errorf("adopted file uses the original descriptor %d, want a duplicate", w)
	}
	if _, err := unix.FcntlInt(uintptr(w), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("original descriptor %d after adoption: F_GETFD error %v, want EBADF", w, err)
	}
	if err := checkCloexec(int(f.Fd())); err != nil {
		t.Error(err)
	}
	if _, err := rwc.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	var buf [2]byte
	if n, err := unix.Read(r, buf[:]); err != nil || string(buf[:n]) != "ok" {
		t.Errorf("read %q, %v from the pipe, want \"ok\"", buf[:n], err)
	}

	_, err = Open(FDURL(w), os.O_WRONLY)
	if err == nil || !strings.Contains(err.Error(), "already opened") || !strings.Contains(err.Error(), FDURL(w)) {
		t.Errorf("second Open(%q) = %v, want an already-opened error naming the URL", FDURL(w), err)
	}
}

func TestFDAccessMode(t *testing.T) {
	r, w := rawPipe(t)
	tests := []struct {
		fd, flag int
		want     string
	}{
		{r, os.O_WRONLY, "read-only and cannot be opened for writing"},
		{r, os.O_RDWR, "read-only and cannot be opened for reading and writing"},
		{w, os.O_RDONLY, "write-only and cannot be opened for reading"},
	}
	for _, tt := range tests {
		rwc, err := Open(FDURL(tt.fd), tt.flag)
		if err == nil {
			rwc.Close()
			t.Errorf("Open(%q, %d) succeeded", FDURL(tt.fd), tt.flag)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), FDURL(tt.fd)) {
			t.Errorf("Open(%q, %d) = %v, want an error naming the URL and containing %q", FDURL(tt.fd), tt.flag, err, tt.want)
		}
		if _, err := unix.FcntlInt(uintptr(tt.fd), unix.F_GETFD, 0); err != nil {
			t.Errorf("descriptor %d after a refused Open: %v, want it left open", tt.fd, err)
		}
	}
}

func TestFDNotOpen(t *testing.T) {
	// No descriptor at or above the soft RLIMIT_NOFILE can be allocated.
	fd := math.MaxInt32
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && uint64(lim.Cur) < uint64(fd) {
		fd = int(lim.Cur)
	}
	raw := FDURL(fd)
	_, err := Open(raw, os.O_RDONLY)
	if err == nil || !strings.Contains(err.Error(), "not open") || !strings.Contains(err.Error(), raw) {
		t.Errorf("Open(%q) = %v, want a not-open error naming the URL", raw, err)
	}
}

func TestFDBadURLs(t *testing.T) {
	tests := []struct{ url, want string }{
		{"fd://", "no descriptor number"},
		{"fd://-1", "not a number >= 0"},
		{"fd://+3", "not a number >= 0"},
		{"fd://abc", "not a number >= 0"},
		{"fd://3:4", "not a number >= 0"},
		{"fd://99999999999", "out of range"},
		{"fd:3", "fd://N"},
		{"fd://3/x", "nothing after the number"},
		{"fd://3?x", "nothing after the number"},
	}
	for _, tt := range tests {
		_, err := Open(tt.url, os.O_RDONLY)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.url)) {
			t.Errorf("Open(%q) = %v, want an error naming the URL and containing %q", tt.url, err, tt.want)
		}
	}
}
