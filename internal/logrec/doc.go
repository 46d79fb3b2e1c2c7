// Package logrec holds the wire form of the log records a plugin sends its
// host (docs/PROTOCOL.md section 6, logs): the namespace they travel to,
// the encoding of a record and of its attributes, and the two decoders the
// host uses: one for records that arrive as calls, one for the JSON lines
// slog.JSONHandler writes, which a plugin writes on stderr when its host
// takes no records.
//
// Package service encodes; package host decodes. Nothing here knows about
// connections or processes.
package logrec
