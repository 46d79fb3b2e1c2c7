package wire

import "sync"

// bufBox carries a buffer through bufPool. The boxes themselves are kept in
// boxPool while their buffers are out, so that neither GetBuf nor PutBuf
// allocates once the pools are warm (putting a []byte in a sync.Pool
// directly would allocate its header each time).
type bufBox struct{ b []byte }

var (
	bufPool sync.Pool // *bufBox holding a buffer
	boxPool sync.Pool // empty *bufBox
)

// GetBuf returns an empty buffer for encoding a frame.
func GetBuf() []byte {
	if x, _ := bufPool.Get().(*bufBox); x != nil {
		b := x.b[:0]
		x.b = nil
		boxPool.Put(x)
		return b
	}
	return make([]byte, 0, 512)
}

// PutBuf returns a buffer from GetBuf for reuse; large ones are dropped so
// the pool does not pin memory.
func PutBuf(b []byte) {
	if cap(b) > 64<<10 || cap(b) == 0 {
		return
	}
	x, _ := boxPool.Get().(*bufBox)
	if x == nil {
		x = new(bufBox)
	}
	x.b = b
	bufPool.Put(x)
}
