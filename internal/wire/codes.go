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
)

// Protocol is the highest protocol version this implementation speaks.
const Protocol = 2

// Features of protocol 2 that this implementation supports, as listed in hello.
const (
	FeatureCancel  = "cancel"
	FeatureTimeout = "timeout"
	FeatureCodes   = "codes"
	FeatureBlobs   = "blobs"
)

// DefaultMaxFrame is the default frame size limit, 64 MiB.
const DefaultMaxFrame = 64 << 20

// Error is a failure that travels in a response: a code from the table of
// PROTOCOL.md section 4 and a message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf is shorthand for an *Error.
func Errorf(code, msg string) *Error { return &Error{Code: code, Message: msg} }
