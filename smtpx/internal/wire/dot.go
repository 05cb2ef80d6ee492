package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DotReader reads the message of a DATA command (RFC 5321 §4.5.2): it
// removes the leading dot a client doubles on lines that start with one,
// ends with io.EOF at the "<CR><LF>.<CR><LF>" that terminates the message
// (the CR LF before it belongs to the message), and fails with
// ErrLineTooLong for a line longer than its limit. The connection ending
// before the terminator is io.ErrUnexpectedEOF; other read errors are
// returned as they are. After an error the stream is out of step and the
// connection must be closed.
//
// It moves whole lines out of the bufio.Reader's buffer: a 1 MiB message
// costs a few thousand slice operations, not a million byte reads.
type DotReader struct {
	br      *bufio.Reader
	max     int
	rest    []byte // the unread part of the current line, in br's buffer
	lineLen int    // octets of the current line before rest
	bol     bool   // the next octet starts a line (CR LF came before)
	cr      bool   // the last octet taken was a CR
	err     error
}

// NewDotReader returns a reader of one DATA message from br; lines may be
// max octets long, line end included.
func NewDotReader(br *bufio.Reader, max int) *DotReader {
	return &DotReader{br: br, max: max, bol: true}
}

// Reset makes d read a new message from br.
func (d *DotReader) Reset(br *bufio.Reader, max int) {
	*d = DotReader{br: br, max: max, bol: true}
}

func (d *DotReader) Read(p []byte) (n int, err error) {
	for n < len(p) {
		if len(d.rest) == 0 {
			if d.err != nil {
				break
			}
			if n > 0 && !d.lineBuffered() {
				break // hand over what we have rather than block
			}
			d.next()
			continue
		}
		c := copy(p[n:], d.rest)
		n += c
		d.rest = d.rest[c:]
	}
	if n == 0 {
		return 0, d.err
	}
	return n, nil
}

// lineBuffered reports whether br holds a whole line, so that next will
// not block.
func (d *DotReader) lineBuffered() bool {
	b, _ := d.br.Peek(d.br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// next takes the next line (or, for a line longer than br's buffer, the
// next piece of it) from br into d.rest, or sets d.err.
func (d *DotReader) next() {
	line, err := d.br.ReadSlice('\n')
	// The limit first, as ReadLine does: a line already too long when the
	// stream ends is ErrLineTooLong whatever the size of br's buffer.
	if d.lineLen += len(line); d.lineLen > d.max {
		d.err = ErrLineTooLong
		return
	}
	if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
		// The connection ended or failed mid-message: the partial line is
		// of no use, the message is lost either way.
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		d.err = err
		return
	}
	if d.bol && line[0] == '.' {
		if len(line) == 3 && line[1] == '\r' && line[2] == '\n' {
			d.err = io.EOF
			return
		}
		line = line[1:]     // dot-stuffing
		if len(line) == 0 { // a "." piece: only with a tiny buffer
			d.bol, d.cr = false, false
			return
		}
	}
	last := line[len(line)-1]
	switch {
	case last != '\n':
		d.bol = false
	case len(line) >= 2:
		d.bol = line[len(line)-2] == '\r'
	default:
		d.bol = d.cr // "\n" alone: the CR ended the piece before
	}
	if last == '\n' {
		d.lineLen = 0 // any LF ends a line for the length limit
	}
	d.cr = last == '\r'
	d.rest = line
}
