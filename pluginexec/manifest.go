package pluginexec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// CurrentManifestVersion is the manifest version this package writes and
// accepts. A manifest of any other version is refused.
const CurrentManifestVersion = 1

// ErrManifestVersion is wrapped by the error for a manifest whose
// manifestVersion is not CurrentManifestVersion.
var ErrManifestVersion = errors.New("unsupported manifest version")

// Manifest describes a plugin: what `plugin-binary info` prints.
type Manifest struct {
	ManifestVersion int       `json:"manifestVersion"`
	Name            string    `json:"name"`
	Version         string    `json:"version"`
	Author          string    `json:"author,omitempty"`
	Description     string    `json:"description,omitempty"`
	Tags            []string  `json:"tags,omitempty"`
	Commands        []Command `json:"commands"`
}

// Command is one command a plugin offers. A host runs it by its Path words:
// `plugin-binary scan dir [args...]` for Path ["scan", "dir"]. Type groups
// commands for hosts (see IterateTyped); Data is free-form, for the host that
// understands Type.
type Command struct {
	Path []string        `json:"path"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Validate reports whether m is a manifest this package accepts: its version
// is CurrentManifestVersion and every command has a non-empty path of
// non-empty words.
func (m *Manifest) Validate() error {
	if m.ManifestVersion != CurrentManifestVersion {
		return fmt.Errorf("%w %d (host supports version %d)",
			ErrManifestVersion, m.ManifestVersion, CurrentManifestVersion)
	}
	for i, c := range m.Commands {
		if err := c.validate(); err != nil {
			return fmt.Errorf("command %d: %w", i, err)
		}
	}
	return nil
}

func (c *Command) validate() error {
	if len(c.Path) == 0 {
		return errors.New("empty path")
	}
	for _, w := range c.Path {
		if w == "" {
			return fmt.Errorf("empty word in path %q", c.Path)
		}
	}
	return nil
}

// decodeManifest parses the output of `info`: exactly one JSON object,
// optionally surrounded by whitespace, that validates.
func decodeManifest(out []byte) (Manifest, error) {
	var m Manifest
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 {
		return m, errors.New("nothing on stdout")
	}
	if trimmed[0] != '{' {
		return m, fmt.Errorf("not a JSON object: output starts with %q", firstLine(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return m, errors.New("output continues after the JSON object")
	}
	return m, m.Validate()
}

// firstLine returns the first line of b, cut to 64 bytes, for messages.
func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return b
}
