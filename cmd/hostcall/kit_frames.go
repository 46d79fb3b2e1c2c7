package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// kitFrame is one frame read from the implementation under test: the line
// it wrote and the blobs that followed it, or how its stream broke the
// sender rules.
type kitFrame struct {
	line  []byte // without its newline
	blobs [][]byte
	err   error
}

// maxKitFrame bounds the frames the runner reads: the cases' frames are
// small.
const maxKitFrame = 1 << 20

// readFrames sends the frames of r on out, which it closes at the end of
// r, or returns once done is closed. A frame must be one line (PROTOCOL.md
// section 2); its blobs, if its blobs member lists any, follow its newline.
func readFrames(r io.Reader, out chan<- kitFrame, done <-chan struct{}) {
	defer close(out)
	send := func(f kitFrame) bool {
		select {
		case out <- f:
			return true
		case <-done:
			return false
		}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if err == io.EOF && len(line) == 0 {
			return
		}
		if err != nil {
			send(kitFrame{line: line, err: err})
			return
		}
		f := kitFrame{line: line, err: checkSenderStyle(line)}
		if f.err == nil {
			f.blobs, f.err = readBlobs(br, line)
		}
		if !send(f) || f.err != nil && errors.Is(f.err, io.ErrUnexpectedEOF) {
			return
		}
	}
}

// readLine reads up to a newline, which it drops.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxKitFrame {
			return line[:200], fmt.Errorf("a frame of more than %d bytes without a newline", maxKitFrame)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) > 0:
			return line, fmt.Errorf("the stream ended inside a frame, or a frame without its newline: %q", clip(line))
		default:
			return line, err
		}
	}
}

// readBlobs reads the blobs a frame's blobs member announces.
func readBlobs(br *bufio.Reader, line []byte) ([][]byte, error) {
	var head struct {
		Blobs []int64 `json:"blobs"`
	}
	if err := json.Unmarshal(line, &head); err != nil || len(head.Blobs) == 0 {
		return nil, nil // a frame that is not of that shape has no blobs for the runner: the match says what is wrong
	}
	var blobs [][]byte
	for _, n := range head.Blobs {
		if n < 0 || n > maxKitFrame {
			return nil, fmt.Errorf("blob of %d bytes", n)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("reading a blob of %d bytes: %w", n, io.ErrUnexpectedEOF)
		}
		blobs = append(blobs, b)
	}
	return blobs, nil
}
