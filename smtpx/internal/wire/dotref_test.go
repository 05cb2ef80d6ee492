package wire_test

import (
	"io"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// refDot is the obviously-correct model of DotReader that the tests and
// FuzzDotReader compare it with. It takes one octet at a time and returns
// the message it reads from in, how many octets of in it consumed, and the
// error that ended it: io.EOF at the terminator, ErrLineTooLong at the
// first octet that makes a line longer than max, io.ErrUnexpectedEOF when
// in ends first.
//
// The rules (RFC 5321 §4.5.2, with only CR LF ending a line):
//   - a line starts at the beginning of the message and after CR LF; a
//     bare LF or a bare CR ends nothing;
//   - a line that starts with "." loses that dot; when the rest of the
//     line is exactly CR LF, it is the terminator, which ends the message
//     (the CR LF before it is the message's);
//   - every octet on the wire counts towards the length limit, the dot and
//     the line end included, and any LF restarts the count.
func refDot(in []byte, max int) (out []byte, consumed int, err error) {
	var (
		bol     = true  // the next octet starts a line
		prevCR  = false // the previous octet was a CR
		n       = 0     // octets since the last LF
		stuffed = false // the current line started with a dropped dot
		heldCR  = false // a CR after that dot, held back: it may be the terminator
	)
	out = []byte{}
	for i, c := range in {
		n++
		if n > max {
			return out, i, wire.ErrLineTooLong
		}
		switch {
		case n == 1 && bol && c == '.':
			stuffed = true // dropped
		case n == 2 && stuffed && c == '\r':
			heldCR = true
		case n == 3 && heldCR && c == '\n':
			return out, i + 1, io.EOF
		default:
			if heldCR {
				out = append(out, '\r')
				heldCR = false
			}
			out = append(out, c)
		}
		if n == 1 && !(bol && c == '.') {
			stuffed = false
		}
		bol = c == '\n' && prevCR
		if c == '\n' {
			n = 0
			stuffed, heldCR = false, false
		}
		prevCR = c == '\r'
	}
	return out, len(in), io.ErrUnexpectedEOF
}
