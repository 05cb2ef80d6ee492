package protolog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrClosed is returned by Flush and Close after Close.
var ErrClosed = errors.New("protolog: log closed")

// bufLimit is the buffered size past which records are written at once.
const bufLimit = 64 << 10

// Log is one protocol log file set (or stream). It is safe for concurrent
// use; a nil *Log logs nothing, so callers need not check whether
// logging is on.
type Log struct {
	opts options
	stop chan struct{} // closed by Close; ends the flusher
	done chan struct{} // closed when the flusher has ended

	mu     sync.Mutex
	w      io.Writer // New's writer; nil with files
	files  *fileSet  // Open's directory; nil with w
	header bool      // w has its header
	buf    []byte
	err    error // first write error, reported by Flush and Close
	closed bool
}

// New returns a Log writing to w: the header lines before the first
// record, then records. Close flushes but does not close w.
func New(w io.Writer, opts ...Option) *Log {
	l := newLog(opts)
	l.w = w
	l.start()
	return l
}

// Open returns a Log writing files RECVyyyymmdd-n.log (SENDyyyymmdd-n.log
// with WithType(Send)) in dir, created if missing. The first file is
// created at the first record; a new one starts at each UTC day and when
// the maximum file size would be exceeded, n counting from 1 each day
// past the files already there. Old files are deleted by age and
// directory size when Open runs and at each new file.
func Open(dir string, opts ...Option) (*Log, error) {
	l := newLog(opts)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("protolog: %w", err)
	}
	l.files = &fileSet{dir: dir, opts: &l.opts}
	l.files.cleanup(l.opts.now())
	l.start()
	return l, nil
}

func newLog(opts []Option) *Log {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	return &Log{opts: o, stop: make(chan struct{}), done: make(chan struct{})}
}

// start runs the flusher that bounds how long records stay buffered.
func (l *Log) start() {
	if l.opts.flush <= 0 {
		close(l.done)
		return
	}
	go func() {
		defer close(l.done)
		tick := time.NewTicker(l.opts.flush)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				_ = l.Flush()
			case <-l.stop:
				return
			}
		}
	}()
}

// Type returns the log's type.
func (l *Log) Type() Type { return l.opts.typ }

// appendHeader appends the header lines of a new file or stream.
func (l *Log) appendHeader(b []byte, now time.Time) []byte {
	b = fmt.Appendf(b, "#Software: %s\r\n#Version: %s\r\n#Log-type: %s\r\n#Date: %s\r\n#Fields: %s\r\n",
		l.opts.software, l.opts.version, l.opts.typ, now.UTC().Format(TimeLayout), Fields)
	return b
}

// write buffers one formatted record (rec ends in CRLF) stamped now.
func (l *Log) write(rec []byte, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	switch {
	case l.files != nil:
		if l.files.needRotate(now, len(l.buf), len(rec)) {
			l.flushLocked()
			l.setErr(l.files.rotate(now, l.appendHeader(nil, now)))
		}
	case !l.header:
		l.header = true
		l.buf = l.appendHeader(l.buf, now)
	}
	l.buf = append(l.buf, rec...)
	if l.opts.flush <= 0 || len(l.buf) >= bufLimit {
		l.flushLocked()
	}
}

func (l *Log) flushLocked() {
	if len(l.buf) == 0 {
		return
	}
	var err error
	if l.files != nil {
		err = l.files.write(l.buf)
	} else {
		_, err = l.w.Write(l.buf)
	}
	l.setErr(err)
	// A failed write drops the records rather than growing without bound.
	l.buf = l.buf[:0]
}

func (l *Log) setErr(err error) {
	if err != nil && l.err == nil {
		l.err = err
	}
}

// Flush writes the buffered records and returns the first write error
// since the Log was created, if any.
func (l *Log) Flush() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.flushLocked()
	return l.err
}

// Close flushes, stops the flusher and closes the current file. Records
// logged after Close are dropped. It returns the first write error, or
// ErrClosed when already closed.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.flushLocked()
	l.closed = true
	if l.files != nil {
		l.setErr(l.files.close())
	}
	err := l.err
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return err
}

// OpenSet opens the two logs of a transport server the way the reference
// system lays them out: dir/SmtpReceive (Receive) and dir/SmtpSend (Send),
// both with opts.
func OpenSet(dir string, opts ...Option) (receive, send *Log, err error) {
	receive, err = Open(filepath.Join(dir, "SmtpReceive"), append(opts, WithType(Receive))...)
	if err != nil {
		return nil, nil, err
	}
	send, err = Open(filepath.Join(dir, "SmtpSend"), append(opts, WithType(Send))...)
	if err != nil {
		receive.Close()
		return nil, nil, err
	}
	return receive, send, nil
}
