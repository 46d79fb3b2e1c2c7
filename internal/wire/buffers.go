package wire

import "sync"

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// GetBuf returns an empty buffer for encoding a frame.
func GetBuf() []byte { return (*bufPool.Get().(*[]byte))[:0] }

// PutBuf returns a buffer from GetBuf for reuse; large ones are dropped so
// the pool does not pin memory.
func PutBuf(b []byte) {
	if cap(b) > 64<<10 {
		return
	}
	bufPool.Put(&b)
}
