package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hostcall/hostcall/internal/logrec"
	"github.com/hostcall/hostcall/internal/wire"
)

// Bounds of a log sink.
const (
	logQueueRecords = 8192      // records waiting to be sent, at most
	logQueueBytes   = 4 << 20   // and their bytes (one record is always taken)
	logBatchBytes   = 256 << 10 // records sent in one call, at most (one is always sent)
)

// logSink queues the encoded records of a client's log handlers and sends
// them, in batches, from a goroutine of its own that runs while records
// wait: to the host's log namespace when the host has one, otherwise as
// JSON lines on stderr. Records the queue has no room for are counted; the
// count travels as a record of its own with the next batch.
type logSink struct {
	client func() *Client // at each batch: the default client may not exist yet (nil)
	stderr io.Writer

	mu       sync.Mutex
	queue    [][]byte
	bytes    int
	dropped  int
	draining bool          // a drain goroutine runs
	idle     chan struct{} // closed when the drain goroutine ends

	// Only the drain goroutine uses these; one runs at a time.
	route    logRoute
	fallback slog.Handler
}

// logRoute is where a sink sends its records.
type logRoute int

const (
	routeUnknown logRoute = iota // not asked yet
	routeHost                    // calls to the host's log namespace
	routeStderr                  // JSON lines on stderr
)

func newLogSink(client func() *Client) *logSink {
	idle := make(chan struct{})
	close(idle)
	return &logSink{client: client, stderr: os.Stderr, idle: idle}
}

// add queues one encoded record, or counts it as dropped when the queue is
// full, and starts the drain goroutine if none runs.
func (s *logSink) add(rec []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) >= logQueueRecords || len(s.queue) > 0 && s.bytes+len(rec) > logQueueBytes {
		s.dropped++
		return
	}
	s.queue = append(s.queue, rec)
	s.bytes += len(rec)
	if !s.draining {
		s.draining = true
		s.idle = make(chan struct{})
		go s.drain()
	}
}

// drain sends batches until the queue is empty.
func (s *logSink) drain() {
	for {
		batch, ok := s.take()
		if !ok {
			return
		}
		s.send(batch)
	}
}

// take removes the next batch from the queue, followed by the report of
// the records dropped so far, if any. When there is nothing to send it
// marks the drain over and reports false.
func (s *logSink) take() ([][]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, size := 0, 0
	for n < len(s.queue) && (n == 0 || size+len(s.queue[n]) <= logBatchBytes) {
		size += len(s.queue[n])
		n++
	}
	if n == 0 && s.dropped == 0 {
		s.draining = false
		close(s.idle)
		return nil, false
	}
	batch := make([][]byte, n, n+1)
	copy(batch, s.queue)
	clear(s.queue[:n])
	s.queue = s.queue[n:]
	s.bytes -= size
	if s.dropped > 0 {
		batch = append(batch, droppedRecord(s.dropped))
		s.dropped = 0
	}
	return batch, true
}

// droppedRecord reports n records dropped.
func droppedRecord(n int) []byte {
	return logrec.AppendRecord(nil, time.Now(), slog.LevelWarn, logrec.DroppedMessage,
		[]slog.Attr{slog.Int(logrec.DroppedKey, n)})
}

// send sends one batch where the route says, learning the route first. A
// batch the host does not take goes to stderr; when the connection is
// gone, every later one does too. A batch whose call failed may have
// reached the host all the same (a host that closed its stream to the
// plugin still reads the plugin's): its stderr lines carry the batch's
// number, by which the host keeps one copy of each.
func (s *logSink) send(batch [][]byte) {
	ctx := context.Background()
	c := s.client()
	if c == nil { // no connection yet: try again with the next batch
		s.writeStderr(batch, 0)
		return
	}
	if s.route == routeUnknown {
		s.route = routeStderr
		if ok, err := c.HasNamespace(ctx, logrec.Namespace); err == nil && ok {
			s.route = routeHost
		}
	}
	if s.route != routeHost {
		s.writeStderr(batch, 0)
		return
	}
	id := logBatches.Add(1)
	err := c.writeLogs(ctx, id, batch)
	if err == nil {
		return
	}
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrNotHosted) {
		s.route = routeStderr
	}
	s.writeStderr(batch, id)
}

// logBatches numbers the batches sent to the host, for all clients: a
// number is never used twice on a connection.
var logBatches atomic.Uint64

// writeStderr writes each record of batch as slog.JSONHandler does, one
// line each, which a host turns back into records; with the attribute
// logrec.BatchKey when the batch went to the host as batch id too.
func (s *logSink) writeStderr(batch [][]byte, id uint64) {
	if s.fallback == nil {
		s.fallback = slog.NewJSONHandler(s.stderr, &slog.HandlerOptions{Level: slog.Level(math.MinInt)})
	}
	for _, b := range batch {
		if r, err := logrec.Decode(b); err == nil {
			if id != 0 {
				r.AddAttrs(slog.Uint64(logrec.BatchKey, id))
			}
			s.fallback.Handle(context.Background(), r)
		}
	}
}

// flush waits until the queue is empty and no batch is on its way, or ctx
// ends.
func (s *logSink) flush(ctx context.Context) error {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeLogs calls the host's log namespace with batch number id.
func (c *Client) writeLogs(ctx context.Context, id uint64, batch [][]byte) error {
	size := 24 + len(batch)
	for _, b := range batch {
		size += len(b)
	}
	args := make([]byte, 0, size)
	args = append(args, '[')
	args = strconv.AppendUint(args, id, 10)
	args = append(args, ',', '[')
	for i, b := range batch {
		if i > 0 {
			args = append(args, ',')
		}
		args = append(args, b...)
	}
	args = append(args, ']', ']')
	req := &wire.Request{Type: wire.TypeCall, Namespace: logrec.Namespace, Name: logrec.Service, Args: args}
	_, err := c.call(ctx, logrec.Namespace+"."+logrec.Service, logrec.Namespace, logrec.Service, req, nil)
	return err
}
