package opener

import "errors"

// Sentinel errors. Errors returned by this package wrap them with the URL
// or scheme that failed; test for them with errors.Is.
var (
	// ErrUnknownScheme reports a URL whose scheme has no registered
	// FileOpener, or a URL with no scheme at all.
	ErrUnknownScheme = errors.New("unknown URL scheme")

	// ErrDuplicateScheme reports a Register call for a scheme that already
	// has a FileOpener.
	ErrDuplicateScheme = errors.New("scheme already registered")
)
