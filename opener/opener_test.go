package opener

import (
	"errors"
	"io"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// nopRWC is a stream that does nothing, for openers under test.
type nopRWC struct{}

func (nopRWC) Read([]byte) (int, error)    { return 0, io.EOF }
func (nopRWC) Write(p []byte) (int, error) { return len(p), nil }
func (nopRWC) Close() error                { return nil }

func nopOpener(*url.URL, int) (io.ReadWriteCloser, error) { return nopRWC{}, nil }

func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name   string
		scheme string
		f      FileOpener
		want   string
	}{
		{"empty", "", nopOpener, `register "": invalid scheme`},
		{"leading digit", "1mem", nopOpener, `register "1mem": invalid scheme`},
		{"leading dash", "-mem", nopOpener, `register "-mem": invalid scheme`},
		{"space", "m em", nopOpener, `register "m em": invalid scheme`},
		{"colon", "mem:", nopOpener, `register "mem:": invalid scheme`},
		{"non-ASCII", "mém", nopOpener, `register "mém": invalid scheme`},
		{"nil opener", "mem", nil, `register "mem": nil FileOpener`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistry()
			err := r.register(tt.scheme, tt.f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("register(%q) = %v, want error containing %q", tt.scheme, err, tt.want)
			}
			if got := r.schemes(); len(got) != 0 {
				t.Errorf("schemes after failed register = %q, want none", got)
			}
		})
	}
}

func TestRegisterAcceptsRFC3986Schemes(t *testing.T) {
	r := newRegistry()
	for _, s := range []string{"m", "mem", "x-shm", "vsock+v2", "a.b", "Z9"} {
		if err := r.register(s, nopOpener); err != nil {
			t.Errorf("register(%q) = %v, want nil", s, err)
		}
	}
	want := []string{"a.b", "m", "mem", "vsock+v2", "x-shm", "z9"}
	if got := r.schemes(); !reflect.DeepEqual(got, want) {
		t.Errorf("schemes() = %q, want %q", got, want)
	}
}

func TestRegisterDuplicate(t *testing.T) {
	r := newRegistry()
	if err := r.register("Mem", nopOpener); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"mem", "MEM", "Mem"} {
		err := r.register(s, nopOpener)
		if !errors.Is(err, ErrDuplicateScheme) {
			t.Errorf("second register(%q) = %v, want ErrDuplicateScheme", s, err)
			continue
		}
		if !strings.Contains(err.Error(), `"mem"`) {
			t.Errorf("error %q does not name the scheme", err)
		}
	}
}

func TestRegisterConcurrent(t *testing.T) {
	r := newRegistry()
	const n = 16
	var wg sync.WaitGroup
	var wins atomic.Int32
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Others open at the same time, to exercise the read lock.
			_, _ = r.open("mem://x", os.O_RDONLY)
			if err := r.register("mem", nopOpener); err != nil {
				errs <- err
				return
			}
			wins.Add(1)
		}()
	}
	wg.Wait()
	close(errs)
	if got := wins.Load(); got != 1 {
		t.Errorf("%d concurrent registrations of one scheme succeeded, want 1", got)
	}
	for err := range errs {
		if !errors.Is(err, ErrDuplicateScheme) {
			t.Errorf("losing register = %v, want ErrDuplicateScheme", err)
		}
	}
}

func TestOpenDispatchesByScheme(t *testing.T) {
	r := newRegistry()
	var gotURL *url.URL
	var gotFlag int
	err := r.register("mem", func(u *url.URL, flag int) (io.ReadWriteCloser, error) {
		gotURL, gotFlag = u, flag
		return nopRWC{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.register("other", func(*url.URL, int) (io.ReadWriteCloser, error) {
		t.Error("opener of scheme other called for a mem URL")
		return nopRWC{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	rwc, err := r.open("MEM://box/a%20b", os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rwc.(nopRWC); !ok {
		t.Errorf("open returned %T, want the opener's stream", rwc)
	}
	if gotURL == nil {
		t.Fatal("opener not called")
	}
	if gotURL.Scheme != "mem" || gotURL.Host != "box" || gotURL.Path != "/a b" {
		t.Errorf("opener got URL %#v, want scheme mem, host box, path /a b", gotURL)
	}
	if gotFlag != os.O_WRONLY {
		t.Errorf("opener got flag %d, want os.O_WRONLY", gotFlag)
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	r := newRegistry()
	if err := r.register("mem", nopOpener); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		want []string
	}{
		{"ftp://example.com/x", []string{`"ftp://example.com/x"`, `"ftp"`, "registered: mem"}},
		{"/run/hostcall/in", []string{`"/run/hostcall/in"`, "no scheme", "file:///path"}},
		{"", []string{`open ""`, "no scheme"}},
	}
	for _, tt := range tests {
		rwc, err := r.open(tt.url, os.O_RDONLY)
		if rwc != nil {
			t.Errorf("open(%q) returned a stream %T with error %v", tt.url, rwc, err)
		}
		if !errors.Is(err, ErrUnknownScheme) {
			t.Errorf("open(%q) = %v, want ErrUnknownScheme", tt.url, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("open(%q) error %q does not contain %q", tt.url, err, w)
			}
		}
	}
}

func TestOpenWrapsOpenerError(t *testing.T) {
	r := newRegistry()
	boom := errors.New("boom")
	if err := r.register("mem", func(*url.URL, int) (io.ReadWriteCloser, error) {
		return nil, boom
	}); err != nil {
		t.Fatal(err)
	}
	rwc, err := r.open("mem:///x", os.O_RDONLY)
	if rwc != nil {
		t.Errorf("open returned a stream %T with its error", rwc)
	}
	if !errors.Is(err, boom) {
		t.Fatalf("open = %v, want it to wrap the opener's error", err)
	}
	if want := `opener: open "mem:///x": boom`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestOpenNilStreamIsError(t *testing.T) {
	r := newRegistry()
	if err := r.register("mem", func(*url.URL, int) (io.ReadWriteCloser, error) {
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	rwc, err := r.open("mem:///x", os.O_RDONLY)
	if err == nil || rwc != nil {
		t.Fatalf("open = %v, %v; want an error for an opener returning nil, nil", rwc, err)
	}
	if !strings.Contains(err.Error(), `"mem:///x"`) || !strings.Contains(err.Error(), `"mem"`) {
		t.Errorf("error %q does not name the URL and scheme", err)
	}
}

func TestOpenUnparsableURL(t *testing.T) {
	_, err := Open("file:///x%zz", os.O_RDONLY)
	if err == nil {
		t.Fatal("Open of a malformed URL succeeded")
	}
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		t.Errorf("error %v does not wrap the *url.Error", err)
	}
	if !strings.HasPrefix(err.Error(), `opener: open "file:///x%zz": `) {
		t.Errorf("error %q does not name the URL", err)
	}
}

func TestDefaultSchemes(t *testing.T) {
	got := Schemes()
	for _, s := range []string{"fd", "file", "unix"} {
		if !contains(got, s) {
			t.Errorf("Schemes() = %q, missing built-in %q", got, s)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Errorf("Schemes() = %q, not sorted and unique", got)
		}
	}
}

func TestRegisterBuiltinIsDuplicate(t *testing.T) {
	for _, s := range []string{"file", "FD", "unix"} {
		if err := Register(s, nopOpener); !errors.Is(err, ErrDuplicateScheme) {
			t.Errorf("Register(%q) = %v, want ErrDuplicateScheme", s, err)
		}
	}
}

// schemeSeq makes scheme names unique across -count runs, since the
// default registry lives for the whole process.
var schemeSeq atomic.Int64

func TestRegisterAndOpenDefault(t *testing.T) {
	scheme := "opener-test" + strconv.FormatInt(schemeSeq.Add(1), 10)
	if err := Register(strings.ToUpper(scheme), nopOpener); err != nil {
		t.Fatal(err)
	}
	if !contains(Schemes(), scheme) {
		t.Errorf("Schemes() = %q, missing %q", Schemes(), scheme)
	}
	rwc, err := Open(scheme+"://x", os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rwc.(nopRWC); !ok {
		t.Errorf("Open returned %T, want the registered opener's stream", rwc)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
