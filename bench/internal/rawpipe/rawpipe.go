// Package rawpipe is the ceiling: two OS pipes in blocking mode and a
// minimal binary protocol, with no framing library, no reflection and no
// JSON.
//
// A request is a 24-byte header (op, id, a, b) followed, for echo and
// struct, by a payload of a bytes; a response is a 16-byte header (id, v)
// followed, for echo and struct, by a payload of v bytes. The struct
// travels as protobuf (pb.Record). The streams are the least framing
// there is: the response to ints(n) is its header then n 8-byte
// little-endian ints, to bytes(n) its header then the n bytes. The host answers in order from one
// goroutine and flushes when it has no more input buffered, so concurrent
// callers are pipelined.
package rawpipe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/hostcall/hostcall/bench/internal/harness"
	"github.com/hostcall/hostcall/bench/internal/pb"
)

// Operations.
const (
	OpAdd uint32 = iota + 1
	OpEcho
	OpStruct
	OpMark
	OpInts
	OpBytes
)

const (
	reqHeader  = 24
	respHeader = 16
	maxPayload = 64 << 20
)

// Serve answers the requests read from r on w until r ends.
func Serve(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	var h [reqHeader]byte
	var out [respHeader]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		op := binary.LittleEndian.Uint32(h[0:])
		id := binary.LittleEndian.Uint32(h[4:])
		a := int64(binary.LittleEndian.Uint64(h[8:]))
		b := int64(binary.LittleEndian.Uint64(h[16:]))
		binary.LittleEndian.PutUint32(out[0:], id)
		var v uint64
		var body []byte
		switch op {
		case OpAdd:
			v = uint64(a + b)
		case OpMark:
			v = harness.HostMallocs()
		case OpInts, OpBytes:
			binary.LittleEndian.PutUint64(out[8:], uint64(a))
			if _, err := bw.Write(out[:]); err != nil {
				return err
			}
			if err := stream(bw, op, a); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			continue
		case OpEcho, OpStruct:
			if a < 0 || a > maxPayload {
				return fmt.Errorf("payload of %d bytes", a)
			}
			if cap(payload) < int(a) {
				payload = make([]byte, a)
			}
			payload = payload[:a]
			if _, err := io.ReadFull(br, payload); err != nil {
				return err
			}
			body = payload
			if op == OpStruct {
				// Decode and re-encode, as a service taking and
				// returning the struct would.
				var rec pb.Record
				if err := proto.Unmarshal(payload, &rec); err != nil {
					return err
				}
				var err error
				if body, err = proto.Marshal(&rec); err != nil {
					return err
				}
			}
			v = uint64(len(body))
		default:
			return fmt.Errorf("unknown op %d", op)
		}
		binary.LittleEndian.PutUint64(out[8:], v)
		if _, err := bw.Write(out[:]); err != nil {
			return err
		}
		if _, err := bw.Write(body); err != nil {
			return err
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

// stream writes the items of the stream op of n items (ints) or bytes.
func stream(w *bufio.Writer, op uint32, n int64) error {
	if op == OpBytes {
		for off := int64(0); off < n; off += harness.StreamChunk {
			if _, err := w.Write(harness.Pattern(off, int(min(harness.StreamChunk, n-off)))); err != nil {
				return err
			}
		}
		return nil
	}
	var b [8]byte
	for i := range n {
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		if _, err := w.Write(b[:]); err != nil {
			return err
		}
	}
	return nil
}

// Client is the plugin side. With one caller (Conc 1) each call writes its
// request and reads its response itself; with more, a reader goroutine
// routes responses to callers by id.
type Client struct {
	w   *os.File
	r   *bufio.Reader
	mux bool

	wmu sync.Mutex // one request written at a time
	rmu sync.Mutex // one response read at a time (mux off)

	ids     chan uint32
	slots   []chan reply
	rec     *pb.Record
	echoBuf []byte
	readBuf []byte // streams
}

type reply struct {
	v   uint64
	err error
}

const maxCallers = 256

// NewClient returns a client on r (responses) and w (requests).
func NewClient(r, w *os.File, mux bool) *Client {
	c := &Client{w: w, r: bufio.NewReaderSize(r, 64<<10), mux: mux, rec: pb.FromRecord(harness.NewRecord())}
	if mux {
		c.ids = make(chan uint32, maxCallers)
		c.slots = make([]chan reply, maxCallers)
		for i := range c.slots {
			c.ids <- uint32(i)
			c.slots[i] = make(chan reply, 1)
		}
		go c.readLoop()
	}
	return c
}

func (c *Client) readLoop() {
	for {
		id, v, err := c.readReply()
		if err != nil {
			for _, s := range c.slots {
				select {
				case s <- reply{err: err}:
				default:
				}
			}
			return
		}
		if id >= maxCallers {
			return
		}
		c.slots[id] <- reply{v: v}
	}
}

// readReply reads one response header.
func (c *Client) readReply() (id uint32, v uint64, err error) {
	var h [respHeader]byte
	if _, err = io.ReadFull(c.r, h[:]); err != nil {
		return 0, 0, err
	}
	return binary.LittleEndian.Uint32(h[0:]), binary.LittleEndian.Uint64(h[8:]), nil
}

// call sends one request and returns its response header value; payload
// replies are read into buf.
func (c *Client) call(op uint32, a, b int64, payload, buf []byte) (uint64, []byte, error) {
	var h [reqHeader]byte
	binary.LittleEndian.PutUint32(h[0:], op)
	binary.LittleEndian.PutUint64(h[8:], uint64(a))
	binary.LittleEndian.PutUint64(h[16:], uint64(b))
	if !c.mux {
		c.rmu.Lock()
		defer c.rmu.Unlock()
		if err := c.send(h[:], payload); err != nil {
			return 0, nil, err
		}
		_, v, err := c.readReply()
		if err != nil {
			return 0, nil, err
		}
		if op == OpEcho || op == OpStruct {
			if v > maxPayload {
				return 0, nil, fmt.Errorf("reply of %d bytes", v)
			}
			if uint64(cap(buf)) < v {
				buf = make([]byte, v)
			}
			buf = buf[:v]
			if _, err := io.ReadFull(c.r, buf); err != nil {
				return 0, nil, err
			}
		}
		return v, buf, nil
	}
	if op != OpAdd && op != OpMark {
		return 0, nil, fmt.Errorf("raw: payload calls are made by one caller")
	}
	id := <-c.ids
	defer func() { c.ids <- id }()
	binary.LittleEndian.PutUint32(h[4:], id)
	if err := c.send(h[:], nil); err != nil {
		return 0, nil, err
	}
	r := <-c.slots[id]
	return r.v, nil, r.err
}

func (c *Client) send(h, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.w.Write(h); err != nil {
		return err
	}
	if len(payload) > 0 {
		if _, err := c.w.Write(payload); err != nil {
			return err
		}
	}
	return nil
}

// Add implements harness.Caller.
func (c *Client) Add(a, b int64) (int64, error) {
	v, _, err := c.call(OpAdd, a, b, nil, nil)
	return int64(v), err
}

// Echo implements harness.Caller. The reply is read into a buffer of the
// client's, reused from call to call.
func (c *Client) Echo(p []byte) ([]byte, error) {
	_, body, err := c.call(OpEcho, int64(len(p)), 0, p, c.echoBuf)
	c.echoBuf = body
	return body, err
}

// Struct implements harness.Caller.
func (c *Client) Struct(id int64) error {
	c.rec.Id = id
	b, err := proto.Marshal(c.rec)
	if err != nil {
		return err
	}
	_, body, err := c.call(OpStruct, int64(len(b)), 0, b, nil)
	if err != nil {
		return err
	}
	var got pb.Record
	if err := proto.Unmarshal(body, &got); err != nil {
		return err
	}
	if !pb.Equal(&got, c.rec) {
		return fmt.Errorf("reply differs from the record sent")
	}
	return nil
}

// Mark implements harness.Caller.
func (c *Client) Mark() (uint64, error) {
	v, _, err := c.call(OpMark, 0, 0, nil, nil)
	return v, err
}

// open sends the request of stream op and reads its response header.
func (c *Client) open(op uint32, n int64) error {
	if c.mux {
		return fmt.Errorf("raw: streams are read by one caller")
	}
	var h [reqHeader]byte
	binary.LittleEndian.PutUint32(h[0:], op)
	binary.LittleEndian.PutUint64(h[8:], uint64(n))
	if err := c.send(h[:], nil); err != nil {
		return err
	}
	_, v, err := c.readReply()
	if err == nil && int64(v) != n {
		err = fmt.Errorf("a stream of %d, want %d", v, n)
	}
	return err
}

// Ints implements harness.Caller.
func (c *Client) Ints(n int64) error {
	if err := c.open(OpInts, n); err != nil {
		return err
	}
	var check harness.IntChecker
	var b [8]byte
	for range n {
		if _, err := io.ReadFull(c.r, b[:]); err != nil {
			return err
		}
		if err := check.Item(int64(binary.LittleEndian.Uint64(b[:]))); err != nil {
			return err
		}
	}
	return check.End(n)
}

// Bytes implements harness.Caller.
func (c *Client) Bytes(n int64) error {
	if err := c.open(OpBytes, n); err != nil {
		return err
	}
	if c.readBuf == nil {
		c.readBuf = make([]byte, 256<<10)
	}
	return harness.ReadPattern(io.LimitReader(c.r, n), n, c.readBuf)
}
