package wire

// Error codes of PROTOCOL.md section 4.
const (
	CodeUnknownNamespace = "unknown_namespace"
	CodeUnknownService   = "unknown_service"
	CodeBadRequest       = "bad_request"
	CodeBadArguments     = "bad_arguments"
	CodeServiceError     = "service_error"
	CodePanic            = "panic"
	CodeCanceled         = "canceled"
	CodeDeadlineExceeded = "deadline_exceeded"
	CodeTooLarge         = "too_large"
	CodeUnavailable      = "unavailable"
)

// Request types of PROTOCOL.md section 3.
const (
	TypeCall         = "call"
	TypeHasNamespace = "hasNamespace"
	TypeGetManifest  = "getManifest"
	TypeListServices = "listServices"
	TypeHello        = "hello"
	TypeCancel       = "cancel"
	// TypeCallback: a call of a callback, a func the peer passed as an
	// argument of a call this end serves (PROTOCOL.md section 6).
	TypeCallback = "callback"
	// TypeCredit: the consumer of a stream lets its producer send more
	// (PROTOCOL.md section 6, streams).
	TypeCredit = "credit"
)

// Protocol is the highest protocol version this implementation speaks.
const Protocol = 2

// Features of protocol 2 that this implementation supports, as listed in hello.
const (
	FeatureCancel  = "cancel"
	FeatureTimeout = "timeout"
	FeatureCodes   = "codes"
	FeatureBlobs   = "blobs"
	// FeatureServe: the end that says it serves requests (PROTOCOL.md
	// section 6): its peer may send it calls. Listed by a plugin once it
	// serves its own registry, and by every host.
	FeatureServe = "serve"
	// FeatureCallbacks: the end takes func arguments (PROTOCOL.md section
	// 6, callbacks): it decodes them into funcs that call back, and it
	// answers callback requests for the funcs it passed.
	FeatureCallbacks = "callbacks"
	// FeatureStreams: the end takes streamed responses ("more":true) and
	// credit requests (PROTOCOL.md section 6, streams).
	FeatureStreams = "streams"
	// FeatureBatches: the end takes stream item frames whose reply holds
	// several items (PROTOCOL.md section 6, streams).
	FeatureBatches = "batches"
)

// StreamWindow is the credit every stream starts with, in bytes of frames
// and blobs: what a producer may send before its consumer grants more.
const StreamWindow = 1 << 20

// DefaultMaxFrame is the default frame size limit, 64 MiB.
const DefaultMaxFrame = 64 << 20

// Features is what this implementation lists in its hello, either end.
var Features = []string{FeatureCancel, FeatureTimeout, FeatureCodes, FeatureBlobs, FeatureCallbacks, FeatureStreams, FeatureBatches}

// MinBlob is the size from which a []byte argument or result travels as a
// blob when the peer accepts them: below it, base64 in the frame costs
// less than the blob's bookkeeping.
const MinBlob = 512

// The health namespace (PROTOCOL.md section 6, health): answered by the
// engine of every end that serves, whatever its registry holds.
const (
	HealthNamespace = "hostcall.health"
	// HealthPing is answered with no results as soon as it is read.
	HealthPing = "ping"
	// HealthLeave, plugin to host: the plugin asks to be stopped.
	HealthLeave = "leave"
)
