package wire

import jsoniter "github.com/json-iterator/go"

// JSON is the codec for every value that crosses the wire: arguments,
// results and manifests. It behaves like encoding/json (struct tags,
// Marshaler and Unmarshaler, map key order) and is faster.
var JSON = jsoniter.ConfigCompatibleWithStandardLibrary
