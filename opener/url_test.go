package opener

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func TestPathURLs(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{FileURL("/run/hostcall/in"), "file:///run/hostcall/in"},
		{FileURL("/proc/4242/fd/7"), "file:///proc/4242/fd/7"},
		{FileURL("/tmp/my plugin/100%.fifo"), "file:///tmp/my%20plugin/100%25.fifo"},
		{FileURL("/a?b#c"), "file:///a%3Fb%23c"},
		{FileURL("/ü"), "file:///%C3%BC"},
		{FileURL("/a/../b//c/"), "file:///b/c"},
		{UnixURL("/run/hostcall.sock"), "unix:///run/hostcall.sock"},
		{UnixURL("/run/a b.sock"), "unix:///run/a%20b.sock"},
		{FDURL(3), "fd://3"},
		{FDURL(0), "fd://0"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestPathURLMakesRelativeAbsolute(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	got, want := FileURL("rel/x y"), FileURL(filepath.Join(wd, "rel", "x y"))
	if got != want {
		t.Errorf("FileURL(relative) = %q, want %q", got, want)
	}
	u, err := url.Parse(UnixURL("s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.ToSlash(filepath.Join(wd, "s.sock")); u.Path != want {
		t.Errorf("UnixURL(relative) has path %q, want %q", u.Path, want)
	}
}

func TestFileURLParsesBack(t *testing.T) {
	for _, p := range []string{
		"/plain",
		"/with space/and%percent",
		"/%41 is not A",
		"/q?uery#frag;semi,comma",
		"/ünïcödé/日本語",
		"/colon:in:name",
		"/+plus&amp=eq",
	} {
		u, err := url.Parse(FileURL(p))
		if err != nil {
			t.Errorf("FileURL(%q) = %q does not parse: %v", p, FileURL(p), err)
			continue
		}
		got, err := localPath(u)
		if err != nil {
			t.Errorf("localPath(FileURL(%q)) = %v", p, err)
			continue
		}
		if got != p {
			t.Errorf("FileURL(%q) = %q parses back to %q", p, FileURL(p), got)
		}
	}
}

func TestParseFD(t *testing.T) {
	good := map[string]int{"fd://0": 0, "fd://3": 3, "fd://007": 7, "fd://3/": 3, "fd://2147483647": 2147483647}
	for raw, want := range good {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseFD(u)
		if err != nil || got != want {
			t.Errorf("parseFD(%q) = %d, %v; want %d", raw, got, err, want)
		}
	}
}
