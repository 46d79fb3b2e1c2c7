package pluginexec

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// InfoCommand is the argument that asks a plugin for its manifest.
const InfoCommand = "info"

// WriteInfo writes m to w the way `plugin-binary info` must print it: one
// JSON object and a newline. It sets m.ManifestVersion to
// CurrentManifestVersion and refuses a manifest that would not validate.
func WriteInfo(w io.Writer, m Manifest) error {
	m.ManifestVersion = CurrentManifestVersion
	if err := m.Validate(); err != nil {
		return fmt.Errorf("pluginexec: invalid manifest: %w", err)
	}
	b, err := json.Marshal(&m)
	if err != nil {
		return fmt.Errorf("pluginexec: encode manifest: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// HandleInfo answers the info command: when the first of args (the plugin's
// arguments, os.Args[1:]) is "info", it writes m to w and reports true.
// Otherwise it writes nothing and reports false. It is ServeInfo without the
// process globals, for tests and for plugins with their own main loop.
func HandleInfo(w io.Writer, args []string, m Manifest) (handled bool, err error) {
	if len(args) == 0 || args[0] != InfoCommand {
		return false, nil
	}
	return true, WriteInfo(w, m)
}

// ServeInfo is the one line a plugin's main needs for discovery: if the
// plugin was run as `plugin-binary info`, it prints m on stdout and exits 0
// (or exits 1 with a message on stderr if m cannot be written). Otherwise it
// returns, and main goes on to run the command.
func ServeInfo(m Manifest) {
	handled, err := HandleInfo(os.Stdout, os.Args[1:], m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if handled {
		os.Exit(0)
	}
}
