package queue

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// reheadered is a stored body served with another header: the header's
// bytes, then the stored body from the line after its own header's end.
type reheadered struct {
	header []byte
	body   *bufio.Reader
	rc     io.ReadCloser
}

// newReheadered skips rc's header (up to and including the first empty
// line; a body without one is all header) and serves header in its place.
func newReheadered(header []byte, rc io.ReadCloser) (io.ReadCloser, error) {
	br := bufio.NewReader(rc)
	atLineStart := true
	for {
		line, err := br.ReadSlice('\n')
		if atLineStart && (bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n"))) {
			break
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			rc.Close()
			return nil, err
		}
		// A line longer than the buffer comes in pieces: only the piece
		// after a line end starts a line.
		atLineStart = err == nil
	}
	return &reheadered{header: header, body: br, rc: rc}, nil
}

func (r *reheadered) Read(p []byte) (int, error) {
	if len(r.header) > 0 {
		n := copy(p, r.header)
		r.header = r.header[n:]
		return n, nil
	}
	return r.body.Read(p)
}

func (r *reheadered) Close() error { return r.rc.Close() }
