package dsn

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

const (
	// maxLine is the RFC 5322 §2.1.1 limit on a line, excluding CRLF.
	maxLine = 998
	// foldAt is the preferred line length (RFC 5322 §2.1.1: 78).
	foldAt = 78
	// dateLayout is the RFC 5322 §3.3 date-time used in every date field.
	dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"
)

// checkValue rejects values that would break out of a header field.
func checkValue(key, v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: %s contains control character %#x", ErrInvalid, key, c)
		}
	}
	return nil
}

// writeField writes "key: value" CRLF-terminated, folding before a space so
// that lines stay within 78 octets where the value allows, and failing if
// a line would exceed 998. Unfolding (RFC 5322 §2.2.3) restores the value.
func writeField(b *bytes.Buffer, key, value string) error {
	if err := checkValue(key, value); err != nil {
		return err
	}
	line := key + ": "
	rest := value
	for len(line)+len(rest) > foldAt {
		i := foldPoint(rest, foldAt-len(line))
		if i <= 0 {
			break
		}
		if len(line)+i > maxLine {
			return fmt.Errorf("%w: %s has a word longer than %d octets", ErrInvalid, key, maxLine)
		}
		b.WriteString(line)
		b.WriteString(rest[:i])
		b.WriteString("\r\n")
		line, rest = "", rest[i:]
	}
	if len(line)+len(rest) > maxLine {
		return fmt.Errorf("%w: %s has a word longer than %d octets", ErrInvalid, key, maxLine)
	}
	b.WriteString(line)
	b.WriteString(rest)
	b.WriteString("\r\n")
	return nil
}

// foldPoint returns the index of the space in s at which to fold so the
// first piece fits in width, or the first space after it when no space
// fits; 0 or -1 when s cannot be folded. Index 0 is never chosen: the
// continuation line must carry text.
func foldPoint(s string, width int) int {
	if width > len(s) {
		width = len(s)
	}
	if width > 1 {
		if i := strings.LastIndexAny(s[1:width], " \t"); i >= 0 {
			return i + 1
		}
	}
	if i := strings.IndexAny(s[1:], " \t"); i >= 0 {
		return i + 1
	}
	return -1
}

// crlfSP is shared so that line breaks cost no allocation per line.
var crlfSP = []byte("\r\n ")

// lineWriter copies the original message into the notification, turning
// bare CR and bare LF into CRLF and breaking lines longer than 998 octets.
// In header mode a break is a fold (CRLF SP), so the header stays
// parseable; in body mode it is a plain CRLF.
type lineWriter struct {
	w      io.Writer
	fold   bool
	col    int
	lastCR bool
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if lw.lastCR {
			lw.lastCR = false
			if p[0] == '\n' {
				p = p[1:]
				continue
			}
		}
		i := bytes.IndexAny(p, "\r\n")
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if err := lw.text(seg); err != nil {
			return 0, err
		}
		if i < 0 {
			break
		}
		lw.lastCR = p[i] == '\r'
		if err := lw.eol(); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	return n, nil
}

// text writes a run without line breaks, breaking it at maxLine.
func (lw *lineWriter) text(seg []byte) error {
	for len(seg) > 0 {
		if lw.col >= maxLine {
			if err := lw.eol(); err != nil {
				return err
			}
			if lw.fold {
				if _, err := lw.w.Write(crlfSP[2:]); err != nil {
					return err
				}
				lw.col = 1
			}
		}
		k := min(len(seg), maxLine-lw.col)
		if _, err := lw.w.Write(seg[:k]); err != nil {
			return err
		}
		lw.col += k
		seg = seg[k:]
	}
	return nil
}

func (lw *lineWriter) eol() error {
	lw.col = 0
	_, err := lw.w.Write(crlfSP[:2])
	return err
}

// finish terminates a last line that lacks its line break.
func (lw *lineWriter) finish() error {
	if lw.col > 0 {
		return lw.eol()
	}
	return nil
}
