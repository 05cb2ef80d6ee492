package wire

import (
	"bufio"
	"bytes"
)

// DotWriter writes a message as DATA content (RFC 5321 §4.5.2), the
// inverse of DotReader: a '.' that starts a line is doubled, a bare LF
// becomes CR LF, and Close adds the terminating ".". It finds line ends
// with bytes.IndexByte and copies whole lines, where net/textproto's
// DotWriter handles one byte at a time. The zero DotWriter is ready once
// Reset gives it a writer.
type DotWriter struct {
	w       *bufio.Writer
	chunk   bool // BDAT content: line ends only, no stuffing, no terminator
	wrote   bool // anything was written
	midLine bool // the last byte written was not the LF of a line end
	lastCR  bool // the last byte written was a CR (its LF may follow)
}

// Reset makes d write a new message to w.
func (d *DotWriter) Reset(w *bufio.Writer) { *d = DotWriter{w: w} }

// ResetChunk makes d write a new message to w as BDAT content (RFC 3030):
// its line ends become CR LF as for DATA, so both transfers carry the same
// octets, but a leading '.' stays single and Close writes no terminator,
// since a chunk is delimited by its length.
func (d *DotWriter) ResetChunk(w *bufio.Writer) { *d = DotWriter{w: w, chunk: true} }

// Write writes b, stuffed, to the underlying writer's buffer.
func (d *DotWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		d.wrote = true
		if !d.midLine {
			if b[0] == '.' && !d.chunk {
				d.w.WriteByte('.')
			}
			d.midLine = true
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			d.w.Write(b)
			d.lastCR = b[len(b)-1] == '\r'
			break
		}
		cr := i > 0 && b[i-1] == '\r' || i == 0 && d.lastCR
		d.w.Write(b[:i])
		if !cr {
			d.w.WriteByte('\r')
		}
		if err := d.w.WriteByte('\n'); err != nil {
			return 0, err
		}
		d.midLine, d.lastCR = false, false
		b = b[i+1:]
	}
	// bufio.Writer keeps its first error; report it here rather than at close.
	if _, err := d.w.Write(nil); err != nil {
		return 0, err
	}
	return n, nil
}

// Close ends the last line if it is open and, for DATA, writes the
// terminator; the caller flushes.
func (d *DotWriter) Close() error {
	switch {
	case !d.wrote || d.midLine && !d.lastCR:
		d.w.WriteString("\r\n")
	case d.midLine: // a CR waiting for its LF
		d.w.WriteByte('\n')
	}
	if d.chunk {
		_, err := d.w.Write(nil)
		return err
	}
	_, err := d.w.WriteString(".\r\n")
	return err
}
