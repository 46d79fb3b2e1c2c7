package pluginexec

import "fmt"

// Credential is the user and group a plugin process runs as, instead of
// the host's.
type Credential struct {
	UID, GID uint32
}

func (c Credential) String() string { return fmt.Sprintf("uid %d gid %d", c.UID, c.GID) }

// WithCredential runs the plugin as user uid and group gid, with no
// supplementary groups, so that plugins under distinct users cannot reach
// each other's files, pipes or processes. Given to NewPlugin or
// DiscoverPlugins, it applies to the info runs too.
//
// DefaultExecutor supports it on Unix, where the host needs the privilege
// to change user (root, or CAP_SETUID and CAP_SETGID); elsewhere the run
// fails with an error saying so. The plugin's binary (and the directories
// on its path) must be executable by that user, and readable too for a
// script; with WithChecksum, the checked in-memory copy is made executable
// by every user instead. The plugin keeps the host's working directory and
// environment (HOME included): set them for that user if it needs them.
// A custom Executor finds the credential in Process.Credential.
func WithCredential(uid, gid uint32) ExecOption {
	cred := &Credential{UID: uid, GID: gid}
	return func(c *ExecConfig) { c.credential = cred }
}

// Credential returns the user and group that WithCredential set so far,
// and whether it did. An option that sets up resources for the plugin
// (named pipes, files...) can give them to that user.
func (c *ExecConfig) Credential() (cred Credential, ok bool) {
	if c.credential == nil {
		return Credential{}, false
	}
	return *c.credential, true
}
