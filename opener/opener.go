package opener

import (
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// A FileOpener opens the stream a URL names. flag is an os.OpenFile flag,
// usually os.O_RDONLY, os.O_WRONLY or os.O_RDWR. The URL's scheme has
// already been matched (lowercased) by Open; the FileOpener interprets the
// rest.
type FileOpener func(u *url.URL, flag int) (io.ReadWriteCloser, error)

// registry maps lowercased scheme names to their FileOpeners.
type registry struct {
	mu      sync.RWMutex
	openers map[string]FileOpener
}

func newRegistry() *registry {
	return &registry{openers: make(map[string]FileOpener)}
}

// defaultRegistry is the registry behind Register, Open and Schemes.
var defaultRegistry = func() *registry {
	r := newRegistry()
	for scheme, f := range map[string]FileOpener{
		"file": openFile,
		"fd":   openFD,
		"unix": openUnix,
	} {
		if err := r.register(scheme, f); err != nil {
			panic(err)
		}
	}
	return r
}()

// Register makes f the FileOpener for URLs of the given scheme. Scheme names
// are case-insensitive. It is an error to register a scheme twice (the
// error wraps ErrDuplicateScheme), to pass a nil f, or to pass a scheme that
// is not a valid URL scheme (a letter followed by letters, digits, '+', '-'
// or '.'). Register is safe for concurrent use.
func Register(scheme string, f FileOpener) error {
	return defaultRegistry.register(scheme, f)
}

// Open parses rawURL and opens it with the FileOpener registered for its
// scheme. An unknown or missing scheme is an error wrapping
// ErrUnknownScheme; every error names the URL.
func Open(rawURL string, flag int) (io.ReadWriteCloser, error) {
	return defaultRegistry.open(rawURL, flag)
}

// Schemes returns the registered scheme names, sorted.
func Schemes() []string {
	return defaultRegistry.schemes()
}

func (r *registry) register(scheme string, f FileOpener) error {
	if !validScheme(scheme) {
		return fmt.Errorf("opener: register %q: invalid scheme name (want a letter followed by letters, digits, '+', '-' or '.')", scheme)
	}
	if f == nil {
		return fmt.Errorf("opener: register %q: nil FileOpener", scheme)
	}
	scheme = strings.ToLower(scheme)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.openers[scheme]; ok {
		return fmt.Errorf("opener: register %q: %w", scheme, ErrDuplicateScheme)
	}
	r.openers[scheme] = f
	return nil
}

func (r *registry) lookup(scheme string) (FileOpener, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.openers[strings.ToLower(scheme)]
	return f, ok
}

func (r *registry) schemes() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.openers))
	for s := range r.openers {
		names = append(names, s)
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}

func (r *registry) open(rawURL string, flag int) (io.ReadWriteCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("opener: open %q: %w", rawURL, err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("opener: open %q: %w: the URL has no scheme (a path is written file:///path; see FileURL)", rawURL, ErrUnknownScheme)
	}
	f, ok := r.lookup(u.Scheme)
	if !ok {
		return nil, fmt.Errorf("opener: open %q: %w %q (registered: %s)", rawURL, ErrUnknownScheme, u.Scheme, strings.Join(r.schemes(), ", "))
	}
	rwc, err := f(u, flag)
	if err != nil {
		return nil, fmt.Errorf("opener: open %q: %w", rawURL, err)
	}
	if rwc == nil {
		return nil, fmt.Errorf("opener: open %q: the FileOpener for scheme %q returned neither a stream nor an error", rawURL, u.Scheme)
	}
	return rwc, nil
}

// validScheme reports whether s is a URL scheme as RFC 3986 defines it:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}
