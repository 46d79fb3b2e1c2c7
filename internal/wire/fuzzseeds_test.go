package wire

// seedStreams are realistic streams and frames, both directions, for the
// fuzz targets' f.Add seeds (the same ones are in testdata/fuzz as corpus
// files).
var seedStreams = []string{
	// Protocol 1 style: spaces, sequence last, no separator.
	`{"type": "call", "namespace": "calc", "name": "add", "args": [1, 2], "sequence": 7}{"type": "hasNamespace", "namespace": "calc", "sequence": 8}`,
	`{"type": "listServices", "namespace": "calc", "sequence": 9}`,
	`{"reply": [3], "sequence": 7}{"ok": true, "sequence": 8}{"services": ["add", "sub"], "sequence": 9}`,
	`{"error": "undefined service \"mul\"", "sequence": 10}`,
	// Protocol 2: hello, call with timeout, cancel, coded errors.
	"{\"sequence\":1,\"type\":\"hello\",\"args\":{\"protocol\":2,\"features\":[\"cancel\",\"timeout\",\"codes\",\"blobs\"],\"maxFrame\":67108864}}\n",
	"{\"sequence\":1,\"reply\":{\"protocol\":2,\"features\":[\"cancel\",\"timeout\",\"codes\",\"blobs\"],\"maxFrame\":67108864}}\n",
	"{\"sequence\":2,\"type\":\"call\",\"namespace\":\"calc\",\"name\":\"add\",\"args\":[1,2],\"timeout\":1500000000}\n{\"sequence\":2,\"type\":\"cancel\"}\n",
	"{\"sequence\":2,\"error\":\"context canceled\",\"code\":\"canceled\"}\r\n{\"sequence\":3,\"error\":\"boom\",\"code\":\"service_error\",\"reply\":[null]}\r\n",
	"{\"sequence\":4,\"type\":\"getManifest\",\"namespace\":\"secrets\"}\n",
	// Blobs: lengths, then the raw bytes after the newline.
	"{\"sequence\":5,\"blobs\":[3,0,4],\"type\":\"call\",\"namespace\":\"img\",\"name\":\"scan\",\"args\":[0,1,\"aGk=\"]}\nabc{}}x{\"sequence\":6,\"type\":\"cancel\"}\n",
	"{\"sequence\":5,\"blobs\":[2],\"reply\":[0]}\n\x00\xff",
	// Garbage between frames, strings full of brackets and escapes.
	`xx]}{"sequence":1,"type":"call"} 42 garbage {"sequence":2,"args":["}{\"\\","]["]}`,
	"{\"sequence\":3,\"args\":[\"\xff\xfe\",\"\\u2028\\ud800\",\"\u2028\"]}",
	`{"seq\u0075ence":12,"type":"call"}`,
	// Bad members.
	`{"sequence":"7","type":5,"args":[1,,2]}`,
	`{"sequence":12.5,"blobs":[-1]}`,
	`{"sequence":18446744073709551616}`,
	// Truncated: inside a string, inside an escape, after a number.
	`{"sequence":12,"type":"call","args":["ab`,
	`{"sequence":12,"args":"\`,
	`{"sequence":12`,
	// Malformed frames, then frames to resynchronise on (PROTOCOL.md
	// section 5): a wrong closer, a string left open, a control character
	// in a string, an invalid escape, a frame left open, protocol 1 style.
	"{\"sequence\":2,\"type\":\"call\",\"namespace\":\"calc\",\"name\":\"add\",\"args\":[1,}\n{\"sequence\":3,\"type\":\"call\"}\n",
	"{\"sequence\":2,\"type\":\"call\",\"name\":\"ad\n{\"sequence\":3,\"type\":\"call\"}\n",
	"{\"sequence\":2,\"args\":{\"a\":1]}{\"sequence\":3,\"name\":\"a\tb\"}{\"sequence\":4,\"name\":\"a\\xb\"}{\"sequence\":5}",
	"{\"sequence\":2,\"blobs\":[3],\"args\":[1,2]\n{\"sequence\":3,\"args\":[1,,2]}\nabc{\"sequence\":4}",
	`{"type": "call", "args": [1, }, "sequence": 7} {"type": "call", "args": [tru, 2], "sequence": 8}{"sequence": 9, "args": [-, 01, 1.e5]}{{"a" 1}`,
	// Duplicate members.
	`{"sequence":1,"blobs":[2],"sequence":2,"blobs":[3]}`,
	// Deep nesting.
	`{"sequence":3,"args":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	// Protocol 2, section 6: streams, credit, callbacks, registered errors.
	`{"sequence":2,"more":true}{"sequence":2,"more":true,"blobs":[2],"reply":[0]}` + "\nab" + `{"sequence":2,"reply":[]}`,
	`{"sequence":2,"type":"credit","args":524288}{"sequence":3,"type":"callback","callback":7,"args":[1]}`,
	`{"sequence":4,"error":"x","code":"kv.not_found","detail":{"Key":"k"}}{"sequence":5,"more":"yes"}`,
}
