// Package serving is the host-to-plugin part of hostcall's fault suite: what
// a plugin that serves its own registry (service.Serve, PROTOCOL.md section
// 6) does when its host is hostile. It holds tests only; this file is here
// for the package comment. Run them with
//
//	go test -race ./internal/faults/serving/
//
// # A real plugin, a hostile host
//
// The test binary re-executes itself as the plugin (TestMain switches on
// HOSTCALL_FAULTS_SERVING_PLUGIN), started by pluginexec.Exec with two
// fresh pipes it inherits (fd:// URLs). The plugin connects with
// service.Dial and, in its default mode, serves the namespace p until
// Serve returns: services that add and echo, that sleep until their
// context ends, that hold until the test releases them (on the plugin's
// stdin, "release N"), that return large results and blobs, that panic,
// and one that calls the host back while it serves. Its other modes never
// serve, serve only once the host has answered a call, or stop serving
// when asked. Once its connection is over it closes its client and prints
// a report on stdout: what Serve returned, how its calls to the host
// ended, how its services' contexts ended, how many ran and at most how
// many at once, the goroutines left after Close (there must be none) and
// its peak resident size.
//
// The test is the host, and not an honest one: it writes raw bytes to the
// plugin and reads every frame the plugin writes, checks it (one line of
// compact JSON, valid UTF-8, sequence first, no unknown member, an error
// that is clean text with a code from the table, blobs whole) and decodes
// it with encoding/json, an implementation independent of the one under
// test. Each case compares the plugin's answers byte for byte with what
// PROTOCOL.md gives, checks that the plugin still serves a valid call
// afterwards (one whose answer depends on its sequence, so that a misrouted
// answer shows), and ends the run: the host closes its stream, no frame may
// come that the case did not take, the plugin must exit 0 with no goroutine
// left, and the test process keeps no goroutine or descriptor either.
//
// # Cases
//
//   - requests the plugin refuses: unknown namespaces and services, bad
//     arguments, unknown types, panics, blobs out of range, frames that do
//     not parse, each answered with its code, and those without a
//     recoverable sequence dropped; frames without a type that match no
//     call of the plugin's, dropped from a host that serves (late answers)
//     and answered bad_request from one that does not (requests_test.go);
//   - resynchronisation: a malformed request written in one piece with five
//     calls after it, which are all served (sequence_test.go);
//   - duplicate sequences of calls running or queued, cancels of sequences
//     unknown, finished or canceled already, and sequences reused once
//     their call is over (sequence_test.go, flood_test.go);
//   - a plugin that does not serve, one that does not serve yet (requests
//     sent before its hello lists "serve") and one that stopped serving
//     (noserve_test.go);
//   - services that call the host back: the two sequence spaces are
//     independent, the plugin's calls end with the host's call that made
//     them, canceled or at its deadline, and the host's late answers to
//     them are dropped, never answered (callback_test.go);
//   - frames and results over the limits, the plugin's own and the one the
//     host announces; blobs announced and sent late, or never: the calls
//     running meet their deadlines meanwhile; a host that closes inside a
//     frame, or while a call runs on the reading goroutine (limits_test.go);
//   - floods: the in-flight bound (MaxInFlight calls running, as many
//     queued without a goroutine, then the plugin stops reading), 100000
//     requests of every kind each answered once, a host that never reads
//     (Serve returns once it closes, or when the plugin's context ends if
//     it keeps its stream open), a plugin that does not serve flooded
//     (refusals that do not fit are dropped, memory stays flat), and the
//     documented exception: calls queued past the bound while the plugin
//     waits for the host (flood_test.go).
//
// The flood cases log what they measure on lines starting with "FIGURE".
// Times are never asserted: the only time limits are watchdogs that catch
// a hang.
package serving
