package perms

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Field is one header field as Firewall.ScanHeader meets it. Its slices
// alias ScanHeader's buffer: they are valid only during the callback and
// must not be modified or kept.
type Field struct {
	// Name is the field name as written, with the white space some
	// senders put before the colon trimmed ("Received \t:" → "Received").
	// It is 1 or more bytes of printable US-ASCII other than ':'.
	Name []byte
	// Value is everything after the colon up to the end of the field:
	// folded continuation lines included, every line ending with CRLF.
	// Unfold it with AppendUnfolded.
	Value []byte
	// Class is the field's class, 0 for a field of no class.
	Class Class
	// Kept is false when the firewall removed the field.
	Kept bool
}

// NameIs reports whether the field's name is name, ignoring ASCII case
// (field names are ASCII), without allocating.
func (f Field) NameIs(name string) bool {
	if len(f.Name) != len(name) {
		return false
	}
	for i := range len(name) {
		if lowerASCII(f.Name[i]) != lowerASCII(name[i]) {
			return false
		}
	}
	return true
}

// ScanHeader reads a header block (RFC 5322 §2.2) from br and appends to
// dst the fields whose class is in keep, and every field of no class, in
// their order and with their raw bytes. It removes a field whole, with all
// its continuation lines, and reports it in removed (in header order, nil
// when nothing was removed). A line ends with LF or CRLF; every line
// appended ends with CRLF, also a last line cut short by the end of input.
// The blank line that ends the block is consumed but not appended; a block
// may also end at the end of input. br is left at the first byte of the
// body.
//
// visit, when not nil, is called once for every field, kept or removed, in
// order; it sees the field before it is removed. On an error dst is
// returned with its length on entry.
//
// Field names are matched case-insensitively, after the white space before
// the colon is trimmed; a continuation line (one starting with SP or HTAB)
// always belongs to the field above it. A field with an empty name is
// dropped silently, as github.com/emersion/go-message/textproto does; the
// block is rejected with *HeaderError when its first line is a
// continuation line, a field has no colon on its first line, or a name
// holds a byte other than printable US-ASCII. Errors of br other than
// io.EOF are returned wrapped ("perms: read message: …").
//
// ScanHeader does not bound what it reads: br must (Filter reads through a
// reader that stops at MaxHeaderBytes). dst grows to the size of the kept
// header; with a reused dst and no field removed, ScanHeader does not
// allocate.
func (f *Firewall) ScanHeader(dst []byte, br *bufio.Reader, keep Class, visit func(Field)) ([]byte, []Removed, error) {
	base := len(dst)
	var rm *removedScratch
	defer func() {
		if rm != nil {
			rm.release()
		}
	}()

	// The first line cannot be a continuation line. Consume it before
	// failing, like textproto.ReadHeader, so that limits trip alike.
	if b, err := br.Peek(1); err == nil && isWSP(b[0]) {
		_, err := appendLine(dst, br)
		if err != nil && err != io.EOF {
			return dst[:base], nil, readError(err)
		}
		return dst[:base], nil, &HeaderError{Err: errLeadingContinuation}
	}

	for {
		start := len(dst)
		var end bool
		var err error
		dst, end, err = appendField(dst, br)
		if err != nil {
			return dst[:base], nil, readError(err)
		}
		if end {
			return dst, rm.result(), nil
		}
		kv := dst[start:]
		colon := bytes.IndexByte(kv, ':')
		if colon < 0 {
			return dst[:base], nil, &HeaderError{Err: fmt.Errorf("perms: header line without a colon: %.60q", kv)}
		}
		name := trimWSP(kv[:colon])
		for _, c := range name {
			if c < '!' || c > '~' {
				return dst[:base], nil, &HeaderError{Err: fmt.Errorf("perms: invalid header field name %.60q", name)}
			}
		}
		if len(name) == 0 {
			dst = dst[:start] // ": value" has no name to classify
			continue
		}
		c, classed := classOf(f, name)
		kept := !classed || keep&c != 0
		if visit != nil {
			visit(Field{Name: name, Value: kv[colon+1:], Class: c, Kept: kept})
		}
		if !kept {
			if rm == nil {
				rm = removedPool.Get().(*removedScratch)
			}
			rm.add(c, name, kv[colon+1:])
			dst = dst[:start]
		}
	}
}

var errLeadingContinuation = errors.New("perms: header starts with a continuation line")

// appendField appends one field, its lines ending with CRLF. end reports
// the end of the header block (a blank line, or the end of input); then
// nothing is appended.
func appendField(dst []byte, br *bufio.Reader) (_ []byte, end bool, err error) {
	start := len(dst)
	dst, err = appendLine(dst, br)
	switch {
	case err == io.EOF:
		return dst, true, nil
	case err != nil:
		return dst, false, err
	case len(dst) == start:
		return dst, true, nil
	}
	dst = append(dst, '\r', '\n')
	for {
		b, err := br.Peek(1)
		if err == io.EOF || err == nil && !isWSP(b[0]) {
			return dst, false, nil
		}
		if err != nil {
			return dst, false, err
		}
		if dst, err = appendLine(dst, br); err != nil {
			return dst, false, err
		}
		dst = append(dst, '\r', '\n')
	}
}

// appendLine appends one line without its LF or CRLF. It returns io.EOF
// only when the input ended before the line's first byte; a last line
// without a line end is a line.
func appendLine(dst []byte, br *bufio.Reader) ([]byte, error) {
	start := len(dst)
	for {
		chunk, err := br.ReadSlice('\n')
		dst = append(dst, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(dst) > start:
			return dst, nil
		case err != nil:
			return dst, err
		}
		dst = dst[:len(dst)-1]
		if len(dst) > start && dst[len(dst)-1] == '\r' {
			dst = dst[:len(dst)-1]
		}
		return dst, nil
	}
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// trimWSP trims SP and HTAB only: a CR or LF left in a name makes it
// invalid, which is how a colon on a continuation line is refused.
func trimWSP(s []byte) []byte {
	for len(s) > 0 && isWSP(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isWSP(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// AppendUnfolded appends a raw field value (Field.Value) unfolded, the way
// textproto.Header returns values: each line without its line end, a
// trailing CR and surrounding SP/HTAB, empty lines skipped, the rest joined
// by single spaces.
func AppendUnfolded(dst, value []byte) []byte {
	start := len(dst)
	for len(value) > 0 {
		line := value
		if i := bytes.IndexByte(value, '\n'); i >= 0 {
			line, value = value[:i], value[i+1:]
		} else {
			value = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if line = trimWSP(line); len(line) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		dst = append(dst, line...)
	}
	return dst
}

// AppendCanonicalKey appends name in canonical MIME form, as
// net/textproto.CanonicalMIMEHeaderKey returns it: the first letter and
// every letter after a hyphen upper case, the rest lower case; a name with
// a byte that is not an RFC 7230 token character is appended unchanged.
func AppendCanonicalKey(dst, name []byte) []byte {
	for _, c := range name {
		if !isTokenByte(c) {
			return append(dst, name...)
		}
	}
	upper := true
	for _, c := range name {
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// removedScratch collects removed fields' keys and values in one buffer,
// so that the result costs two allocations however many were removed: the
// slice and one string the Removed entries share.
type removedScratch struct {
	text  []byte
	items []removedItem
}

type removedItem struct {
	class        Class
	keyEnd, vEnd int // offsets into text; each item starts where the last ended
}

var removedPool = sync.Pool{New: func() any { return new(removedScratch) }}

func (r *removedScratch) add(c Class, name, value []byte) {
	r.text = AppendCanonicalKey(r.text, name)
	k := len(r.text)
	r.text = AppendUnfolded(r.text, value)
	r.items = append(r.items, removedItem{class: c, keyEnd: k, vEnd: len(r.text)})
}

func (r *removedScratch) result() []Removed {
	if r == nil || len(r.items) == 0 {
		return nil
	}
	s := string(r.text)
	out := make([]Removed, len(r.items))
	start := 0
	for i, it := range r.items {
		out[i] = Removed{Class: it.class, Key: s[start:it.keyEnd], Value: s[it.keyEnd:it.vEnd]}
		start = it.vEnd
	}
	return out
}

// maxPooled caps the buffers kept for reuse, so that one huge header does
// not pin its memory for the life of the process.
const maxPooled = 64 << 10

func (r *removedScratch) release() {
	if cap(r.text) > maxPooled {
		return
	}
	r.text, r.items = r.text[:0], r.items[:0]
	removedPool.Put(r)
}
