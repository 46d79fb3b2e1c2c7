package opener

import (
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// FileURL returns the file URL of path, for passing to a plugin: for
// example FileURL("/run/hostcall/in") is "file:///run/hostcall/in". A
// relative path is first made absolute against the current directory, since
// the process that opens the URL may have another one. Characters that are
// not allowed in a URL path (spaces, '%', '?', '#', non-ASCII...) are
// percent-escaped, so Open(FileURL(p), flag) opens exactly p.
func FileURL(path string) string {
	return pathURL("file", path)
}

// UnixURL returns the URL of the Unix socket at path, for example
// "unix:///run/hostcall.sock". path is made absolute and escaped as in
// FileURL.
func UnixURL(path string) string {
	return pathURL("unix", path)
}

// FDURL returns the URL of the inherited descriptor fd, for example
// "fd://3". It does not check fd; Open rejects negative numbers.
func FDURL(fd int) string {
	return "fd://" + strconv.Itoa(fd)
}

func pathURL(scheme, path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	path = filepath.ToSlash(path)
	if !strings.HasPrefix(path, "/") { // a Windows drive path, C:/x
		path = "/" + path
	}
	return (&url.URL{Scheme: scheme, Path: path}).String()
}

// localPath returns the local filesystem path that a file or unix URL
// names. The URL must be hierarchical with an absolute path, and its host
// must be empty or "localhost": naming another machine is refused rather
// than silently opening a local path. A query or fragment is refused too,
// since it usually means an unescaped '?' or '#' in the path.
func localPath(u *url.URL) (string, error) {
	if u.Opaque != "" {
		return "", fmt.Errorf("%s URL needs an absolute path, as in %s:///path (got opaque %q)", u.Scheme, u.Scheme, u.Opaque)
	}
	if h := u.Host; h != "" && !strings.EqualFold(h, "localhost") {
		return "", fmt.Errorf("%s URL names host %q: only local paths can be opened (write %s:///path, with three slashes)", u.Scheme, h, u.Scheme)
	}
	if u.User != nil {
		return "", fmt.Errorf("%s URL has user information: only local paths can be opened", u.Scheme)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("%s URL has a query or fragment: escape '?' and '#' in the path (see %sURL)", u.Scheme, urlHelperName(u.Scheme))
	}
	p := u.Path
	if p == "" {
		return "", fmt.Errorf("%s URL has an empty path", u.Scheme)
	}
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // /C:/x names C:/x
	}
	return filepath.FromSlash(p), nil
}

func urlHelperName(scheme string) string {
	if scheme == "unix" {
		return "Unix"
	}
	return "File"
}

// parseFD returns the descriptor number of an fd URL, fd://N, where N is a
// decimal number >= 0. The standard streams 0, 1 and 2 are allowed.
func parseFD(u *url.URL) (int, error) {
	if u.Opaque != "" {
		return 0, fmt.Errorf("fd URL must be written fd://N (got opaque %q)", u.Opaque)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return 0, fmt.Errorf("fd URL must be written fd://N, with nothing after the number")
	}
	h := u.Host
	if h == "" {
		return 0, fmt.Errorf("fd URL has no descriptor number (want fd://N)")
	}
	for i := 0; i < len(h); i++ {
		if h[i] < '0' || h[i] > '9' {
			return 0, fmt.Errorf("fd URL has descriptor %q, not a number >= 0", h)
		}
	}
	n, err := strconv.ParseInt(h, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("fd URL has descriptor %q, out of range", h)
	}
	return int(n), nil
}
