// Package hosttest holds what the tests of host and service share: the
// registry the golden transcripts run against, the transcript format and
// pipe helpers. Only tests import it.
package hosttest
