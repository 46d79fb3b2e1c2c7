// Package wire holds hostcall's wire format: the request and response frames
// of PROTOCOL.md, the JSON codec they are written with, the framer that finds
// object boundaries in a byte stream whatever its peer's style, the recovery
// of a sequence number from a frame that will not parse, and the batching
// writer shared by both ends of a connection.
//
// Nothing here knows about services or processes; package registry, host and
// service build on it.
package wire
