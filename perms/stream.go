package perms

import (
	"bufio"
	"errors"
	"io"
	"sync"

	"github.com/emersion/go-message/textproto"
)

// Filter copies the message read from src to dst, removing the header
// fields of every class rights do not let pass in direction d. It returns
// what it removed.
//
// Only the header block is parsed (with textproto.ReadHeader, bounded by
// MaxHeaderBytes); the body is copied through unread and unchanged, in
// constant memory. Kept fields keep their order and raw bytes, except that
// textproto ends every header line with CRLF (also a last line cut short
// by the end of input), and a message without a blank line after its
// header gains one.
//
// Errors: *HeaderTooLargeError when the header block exceeds the limit,
// *HeaderError when it cannot be parsed, and the errors of src and dst,
// wrapped ("perms: read message: …"). Nothing is written to dst before the header block has been
// read and filtered, so on a header error dst is untouched.
func (f *Firewall) Filter(dst io.Writer, src io.Reader, d Direction, rights Right) ([]Removed, error) {
	limit := f.maxHeaderBytes()
	lr := &headerLimitReader{r: src, n: limit}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(lr)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	h, err := textproto.ReadHeader(br)
	switch {
	case lr.tripped:
		return nil, &HeaderTooLargeError{Limit: int(limit)}
	case lr.err != nil:
		return nil, readError(lr.err)
	case err != nil:
		return nil, &HeaderError{Err: err}
	}
	lr.n = -1 // the body is not limited

	removed := f.FilterHeader(&h, Allowed(d, rights))

	// Buffer the header so it reaches dst in one write, not one per field.
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(dst)
	err = textproto.WriteHeader(bw, h)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writerPool.Put(bw)
	if err != nil {
		return removed, writeError(err)
	}
	// bufio.Reader.WriteTo drains its buffer, then hands the rest of src to
	// dst.ReadFrom or a plain copy loop: no per-byte work on the body.
	if _, err := io.Copy(dst, br); err != nil {
		if lr.err != nil {
			return removed, readError(lr.err)
		}
		return removed, writeError(err)
	}
	return removed, nil
}

// Pooled buffers: a hub filters every message it relays, and the two 4 KiB
// buffers are most of Filter's own allocation.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReader(nil) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}
)

// Filter is Firewall.Filter with the default firewall.
func Filter(dst io.Writer, src io.Reader, d Direction, rights Right) ([]Removed, error) {
	return defaultFirewall.Filter(dst, src, d, rights)
}

func (f *Firewall) maxHeaderBytes() int64 {
	switch {
	case f == nil || f.MaxHeaderBytes == 0:
		return DefaultMaxHeaderBytes
	case f.MaxHeaderBytes < 0:
		return -1
	}
	return int64(f.MaxHeaderBytes)
}

func readError(err error) error  { return &wrapErr{"perms: read message: ", err} }
func writeError(err error) error { return &wrapErr{"perms: write message: ", err} }

type wrapErr struct {
	prefix string
	err    error
}

func (e *wrapErr) Error() string { return e.prefix + e.err.Error() }
func (e *wrapErr) Unwrap() error { return e.err }

// headerLimitReader bounds what the header parser may read and remembers
// errors of the underlying reader, so Filter can tell a too-large or
// broken source from a malformed header. n < 0 means unlimited.
type headerLimitReader struct {
	r       io.Reader
	n       int64 // bytes still allowed, or -1
	tripped bool  // the limit was hit (sticky)
	err     error // first non-EOF error of r
}

var errLimit = errors.New("perms: header limit reached")

func (l *headerLimitReader) Read(p []byte) (int, error) {
	if l.tripped {
		return 0, errLimit
	}
	if l.n == 0 {
		l.tripped = true
		return 0, errLimit
	}
	if l.n > 0 && int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	if l.n > 0 {
		l.n -= int64(n)
	}
	if err != nil && err != io.EOF && l.err == nil {
		l.err = err
	}
	return n, err
}
