package perms

import (
	"bufio"
	"errors"
	"io"
	"sync"
)

// Filter copies the message read from src to dst, removing the header
// fields of every class rights do not let pass in direction d. It returns
// what it removed.
//
// Only the header block is parsed (with ScanHeader, bounded by
// MaxHeaderBytes); the body is copied through unread and unchanged, in
// constant memory. Kept fields keep their order and raw bytes, except that
// every header line ends with CRLF (also a last line cut short by the end
// of input), and a message without a blank line after its header gains
// one. With no field removed, Filter does not allocate in the steady state.
//
// Errors: *HeaderTooLargeError when the header block exceeds the limit,
// *HeaderError when it cannot be parsed, and the errors of src and dst,
// wrapped ("perms: read message: …"). Nothing is written to dst before the header block has been
// read and filtered, so on a header error dst is untouched.
func (f *Firewall) Filter(dst io.Writer, src io.Reader, d Direction, rights Right) ([]Removed, error) {
	limit := f.maxHeaderBytes()
	st := filterPool.Get().(*filterState)
	defer st.release()
	st.lr = headerLimitReader{r: src, n: limit}
	st.br.Reset(&st.lr)
	hdr, removed, err := f.ScanHeader(st.hdr[:0], &st.br, Allowed(d, rights), nil)
	st.hdr = hdr
	switch {
	case st.lr.tripped:
		return nil, &HeaderTooLargeError{Limit: int(limit)}
	case st.lr.err != nil:
		return nil, readError(st.lr.err)
	case err != nil:
		return nil, err
	}
	st.lr.n = -1 // the body is not limited

	// The header reaches dst in one write, not one per field.
	st.hdr = append(st.hdr, '\r', '\n')
	if _, err := dst.Write(st.hdr); err != nil {
		return removed, writeError(err)
	}
	// bufio.Reader.WriteTo drains its buffer, then hands the rest of src to
	// dst.ReadFrom or a plain copy loop: no per-byte work on the body.
	if _, err := io.Copy(dst, &st.br); err != nil {
		if st.lr.err != nil {
			return removed, readError(st.lr.err)
		}
		return removed, writeError(err)
	}
	return removed, nil
}

// filterState is what one Filter call needs, pooled because a hub filters
// every message it relays: the limit reader, a 4 KiB read buffer and the
// buffer the filtered header is built in.
type filterState struct {
	lr  headerLimitReader
	br  bufio.Reader
	hdr []byte
}

var filterPool = sync.Pool{New: func() any {
	st := new(filterState)
	st.br.Reset(nil)
	return st
}}

func (st *filterState) release() {
	st.lr = headerLimitReader{}
	st.br.Reset(nil)
	if cap(st.hdr) > maxPooled {
		st.hdr = nil
	}
	filterPool.Put(st)
}

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
