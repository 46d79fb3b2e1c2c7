// Package scanapi is the contract between the scanner host and its
// plugins: the namespaces the host serves and the types that cross the wire.
// It holds no code of either side, so a plugin links it without linking the
// host.
//
// The host serves two namespaces to each plugin run:
//
//	target (shared by every plugin; manifest TargetManifest)
//	  list() ([]Entry, error)                          every regular file, sorted by path
//	  stat(path string) (Entry, error)
//	  read(path string) ([]byte, error)                files up to TargetManifest.MaxRead bytes
//	  readRange(path string, off, n int64) ([]byte, error)
//	findings (one per plugin run)
//	  report(f Finding) error                          the host stamps the plugin's name
//
// Plugins log with log/slog through service.LogHandler: the host's logger
// gets their records with the plugin's name (host.WithLogger).
//
// Paths are slash-separated and relative to the target's root, as io/fs
// names them: "config/settings.ini", never "/..." or "../...".
package scanapi

import "io/fs"

// Namespaces the host serves.
const (
	TargetNamespace   = "target"
	FindingsNamespace = "findings"
)

// CommandType is the type of the manifest commands the host runs.
const CommandType = "scanner"

// Entry describes one file of the target.
type Entry struct {
	Path string      `json:"path"`
	Size int64       `json:"size"`
	Mode fs.FileMode `json:"mode"`
}

// TargetManifest is the manifest of the target namespace.
type TargetManifest struct {
	Root    string `json:"root"`    // what is scanned, for messages
	Files   int    `json:"files"`   // how many regular files list returns
	MaxRead int64  `json:"maxRead"` // the largest file read returns whole
}

// Finding is one problem a plugin found.
type Finding struct {
	// Plugin is the reporting plugin's name. Plugins leave it empty: the
	// host fills it in, and refuses a finding that names another plugin.
	Plugin   string   `json:"plugin,omitempty"`
	Rule     string   `json:"rule"`
	Path     string   `json:"path"`
	Line     int      `json:"line,omitempty"` // 1-based; 0 for the whole file
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Severity ranks findings.
type Severity string

// The severities a finding may have, from the most to the least severe.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
	Info   Severity = "info"
)

// Rank orders severities: 0 for High up to 3 for Info, and -1 for a
// severity that is not one of these.
func (s Severity) Rank() int {
	switch s {
	case High:
		return 0
	case Medium:
		return 1
	case Low:
		return 2
	case Info:
		return 3
	}
	return -1
}

// Valid reports whether s is High, Medium, Low or Info.
func (s Severity) Valid() bool { return s.Rank() >= 0 }
