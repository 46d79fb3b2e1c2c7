package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	jsoniter "github.com/json-iterator/go"
)

// ParseRequest decodes one request frame. Unknown members are ignored, as
// PROTOCOL.md lets later versions add them; a member of the wrong type, a
// missing sequence or invalid JSON is an error. Args is a copy: data may be
// reused once ParseRequest returns.
func ParseRequest(data []byte, req *Request) error {
	*req = Request{}
	iter := JSON.BorrowIterator(data)
	defer JSON.ReturnIterator(iter)
	var haveSeq bool
	iter.ReadObjectCB(func(iter *jsoniter.Iterator, field string) bool {
		switch field {
		case "sequence":
			haveSeq = readUint(iter, field, &req.Sequence)
		case "type":
			readString(iter, field, &req.Type)
		case "namespace":
			readString(iter, field, &req.Namespace)
		case "name":
			readString(iter, field, &req.Name)
		case "args":
			req.Args = readRaw(iter)
		case "timeout":
			readInt(iter, field, &req.Timeout)
		case "blobs":
			req.Blobs = readBlobs(iter)
		default:
			iter.Skip()
		}
		return iter.Error == nil
	})
	return finish(iter, data, haveSeq, "request")
}

// ParseResponse decodes one response frame, with the rules of ParseRequest.
func ParseResponse(data []byte, resp *Response) error {
	*resp = Response{}
	iter := JSON.BorrowIterator(data)
	defer JSON.ReturnIterator(iter)
	var haveSeq bool
	iter.ReadObjectCB(func(iter *jsoniter.Iterator, field string) bool {
		switch field {
		case "sequence":
			haveSeq = readUint(iter, field, &resp.Sequence)
		case "reply":
			resp.Reply = readRaw(iter)
		case "services":
			resp.Services = readStrings(iter)
		case "ok":
			readBool(iter, field, &resp.OK)
		case "error":
			readString(iter, field, &resp.Error)
		case "code":
			readString(iter, field, &resp.Code)
		case "blobs":
			resp.Blobs = readBlobs(iter)
		default:
			iter.Skip()
		}
		return iter.Error == nil
	})
	return finish(iter, data, haveSeq, "response")
}

// finish checks the iterator after the frame's object. Any error fails the
// frame, io.EOF included: the iterator ran out of input inside the object,
// where a number cut short otherwise reads as complete. So does anything but
// whitespace after the object, and a raw control character in a string,
// which the codec lets through after an escape.
func finish(iter *jsoniter.Iterator, data []byte, haveSeq bool, what string) error {
	if iter.Error == nil {
		iter.WhatIsNext() // at the end of data, this sets io.EOF
		if iter.Error == nil {
			iter.ReportError("finish", "data after the object")
		} else if errors.Is(iter.Error, io.EOF) {
			iter.Error = nil
		}
	}
	if iter.Error == nil && !controlsValid(data) {
		iter.ReportError("finish", "control character in a string")
	}
	if iter.Error != nil {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("invalid %s frame: not JSON: %v", what, err)
		}
		return fmt.Errorf("invalid %s frame: %s", what, DecodeError(iter.Error))
	}
	if !haveSeq {
		return fmt.Errorf("invalid %s frame: no sequence", what)
	}
	return nil
}

// controlsValid reports whether the control characters of data, if any,
// are where JSON allows them: only tab, newline and carriage return, as
// whitespace between tokens. Compact frames have none, so the cost is one
// pass over the bytes; a frame with whitespace of that kind is validated.
func controlsValid(data []byte) bool {
	space := false
	for _, c := range data {
		if c < 0x20 {
			if c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			space = true
		}
	}
	return !space || json.Valid(data)
}

func expect(iter *jsoniter.Iterator, field string, want jsoniter.ValueType, name string) bool {
	switch iter.WhatIsNext() {
	case want:
		return true
	case jsoniter.NilValue:
		iter.Skip()
		return false
	default:
		iter.ReportError("read "+field, field+" must be "+name)
		return false
	}
}

func readUint(iter *jsoniter.Iterator, field string, dst *uint64) bool {
	if expect(iter, field, jsoniter.NumberValue, "an unsigned integer") {
		*dst = iter.ReadUint64()
		return iter.Error == nil
	}
	return false
}

func readInt(iter *jsoniter.Iterator, field string, dst *int64) {
	if expect(iter, field, jsoniter.NumberValue, "an integer") {
		*dst = iter.ReadInt64()
	}
}

func readString(iter *jsoniter.Iterator, field string, dst *string) {
	if expect(iter, field, jsoniter.StringValue, "a string") {
		*dst = iter.ReadString()
	}
}

func readBool(iter *jsoniter.Iterator, field string, dst *bool) {
	if expect(iter, field, jsoniter.BoolValue, "a boolean") {
		*dst = iter.ReadBool()
	}
}

func readRaw(iter *jsoniter.Iterator) []byte {
	if iter.WhatIsNext() == jsoniter.NilValue {
		iter.Skip()
		return nil
	}
	return iter.SkipAndReturnBytes()
}

func readStrings(iter *jsoniter.Iterator) []string {
	if !expect(iter, "services", jsoniter.ArrayValue, "an array of strings") {
		return nil
	}
	var out []string
	iter.ReadArrayCB(func(iter *jsoniter.Iterator) bool {
		if iter.WhatIsNext() != jsoniter.StringValue {
			iter.ReportError("read services", "services must be an array of strings")
			return false
		}
		out = append(out, iter.ReadString())
		return true
	})
	return out
}

func readBlobs(iter *jsoniter.Iterator) []int64 {
	if !expect(iter, "blobs", jsoniter.ArrayValue, "an array of lengths") {
		return nil
	}
	var out []int64
	iter.ReadArrayCB(func(iter *jsoniter.Iterator) bool {
		if iter.WhatIsNext() != jsoniter.NumberValue {
			iter.ReportError("read blobs", "blobs must be an array of lengths")
			return false
		}
		n := iter.ReadInt64()
		if n < 0 {
			iter.ReportError("read blobs", "a blob length is negative")
			return false
		}
		out = append(out, n)
		return true
	})
	return out
}

// DecodeError returns the codec's message for err without the dump of the
// input it appends, which can be long and holds raw bytes.
func DecodeError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", error found in #"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
