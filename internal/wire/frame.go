package wire

import "encoding/json"

// Request is a frame travelling plugin to host (PROTOCOL.md section 3).
type Request struct {
	Sequence  uint64
	Type      string
	Namespace string
	Name      string
	// Args is the raw JSON of the args member, nil when absent.
	Args json.RawMessage
	// Timeout is the protocol 2 timeout in nanoseconds, 0 when absent.
	Timeout int64
	// Callback is the id of the callback a callback request calls, 0 when
	// absent.
	Callback uint64
	// Blobs lists the byte lengths of the raw blobs following the frame.
	Blobs []int64
}

// Response is a frame travelling host to plugin (PROTOCOL.md section 4).
type Response struct {
	Sequence uint64
	// Type is the type member of a frame that has one: not a response but a
	// request travelling host to plugin (PROTOCOL.md section 6, reserved
	// for later protocol versions), which a receiver must not take for a
	// reply. AppendResponse does not write it.
	Type string
	// Reply is the raw JSON of the reply member, nil when absent.
	Reply    json.RawMessage
	Services []string
	OK       bool
	Error    string
	Code     string
	// Detail is the JSON of a registered error type's fields (PROTOCOL.md
	// section 6, registered errors), nil when absent.
	Detail json.RawMessage
	// More marks one item of a stream (PROTOCOL.md section 6, streams):
	// the call's final response is yet to come.
	More  bool
	Blobs []int64
}

// Hello is the args of a hello request and the reply to it.
type Hello struct {
	Protocol int      `json:"protocol"`
	Features []string `json:"features,omitempty"`
	MaxFrame int64    `json:"maxFrame,omitempty"`
}

// Has reports whether h lists feature f.
func (h *Hello) Has(f string) bool {
	if h == nil {
		return false
	}
	for _, g := range h.Features {
		if g == f {
			return true
		}
	}
	return false
}

// MaxFrameWith returns the frame limit for frames sent to a peer whose
// hello is h (nil before it said one): the smaller of own and the peer's.
func (h *Hello) MaxFrameWith(own int) int {
	if h != nil && h.MaxFrame > 0 && h.MaxFrame < int64(own) {
		return int(h.MaxFrame)
	}
	return own
}

// BlobThreshold is the MinBlob to use with a peer whose hello is h: -1
// (no blobs) unless it listed the feature.
func (h *Hello) BlobThreshold() int {
	if h.Has(FeatureBlobs) {
		return MinBlob
	}
	return -1
}
