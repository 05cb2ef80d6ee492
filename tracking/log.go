package tracking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hubedge/hubedge/internal/logfile"
)

// Sentinel errors.
var (
	// ErrClosed is returned by Flush, Close and Search after Close.
	ErrClosed = errors.New("tracking: log closed")
	// ErrNoDirectory is returned by Log.Search on a Log made by New,
	// which has no files to search.
	ErrNoDirectory = errors.New("tracking: log has no directory")
)

// bufLimit is the buffered size past which records are written at once.
const bufLimit = 64 << 10

// Log is one message tracking log: a directory of files or a stream. It is
// safe for concurrent use; a nil *Log tracks nothing, so callers need not
// check whether tracking is on.
type Log struct {
	opts options
	dir  string
	stop chan struct{} // closed by Close; ends the flusher
	done chan struct{} // closed when the flusher has ended

	mu     sync.Mutex
	w      io.Writer    // New's writer; nil with files
	files  *logfile.Set // Open's directory; nil with w
	header bool         // w has its header
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

// Open returns a Log writing files MSGTRKyyyymmdd-n.log in dir, created if
// missing. The first file is created at the first record; a new one starts
// at each UTC day and when the maximum file size would be exceeded, n
// counting from 1 each day past the files already there. Old files are
// deleted by age and directory size when Open runs and at each new file.
func Open(dir string, opts ...Option) (*Log, error) {
	l := newLog(opts)
	fs, err := logfile.Open(dir, Prefix, logfile.Limits{MaxFileSize: l.opts.maxFile,
		MaxDirSize: l.opts.maxDir, MaxAge: l.opts.maxAge}, l.opts.now())
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	l.dir, l.files = dir, fs
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

// Dir returns the directory of a Log made by Open, "" for New.
func (l *Log) Dir() string { return l.dir }

func (l *Log) appendHeader(b []byte, now time.Time) []byte {
	return fmt.Appendf(b, "#Software: %s\r\n#Version: %s\r\n#Log-type: %s\r\n#Date: %s\r\n#Fields: %s\r\n",
		l.opts.software, l.opts.version, LogType, now.UTC().Format(TimeLayout), Fields)
}

// Track logs r; a zero r.Time is the Log's clock's now. Records are
// buffered; Track never blocks on disk longer than one buffered write.
// Records tracked after Close are dropped.
func (l *Log) Track(r Record) {
	if l == nil {
		return
	}
	now := l.opts.now()
	if r.Time.IsZero() {
		r.Time = now
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	n := len(l.buf)
	l.buf = appendRecord(l.buf, &r, l.opts.subject)
	switch {
	case l.files != nil:
		if l.files.Due(now, n, len(l.buf)-n) {
			rec := string(l.buf[n:])
			l.buf = l.buf[:n]
			l.flushLocked()
			l.setErr(l.files.Roll(now, l.appendHeader(nil, now)))
			l.buf = append(l.buf, rec...)
		}
	case !l.header:
		l.header = true
		rec := string(l.buf[n:])
		l.buf = append(l.appendHeader(l.buf[:n], now), rec...)
	}
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
		err = l.files.Write(l.buf)
	} else {
		_, err = l.w.Write(l.buf)
	}
	if err != nil {
		l.setErr(fmt.Errorf("tracking: %w", err))
	}
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

// Close flushes, stops the flusher and closes the current file. It returns
// the first write error, or ErrClosed when already closed.
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
		if err := l.files.Close(); err != nil {
			l.setErr(fmt.Errorf("tracking: %w", err))
		}
	}
	err := l.err
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return err
}

// Search flushes the Log and searches its directory (see Search).
func (l *Log) Search(ctx context.Context, q Query) ([]Record, error) {
	if l == nil {
		return nil, ErrNoDirectory
	}
	if err := l.Flush(); err != nil && errors.Is(err, ErrClosed) {
		return nil, err
	}
	if l.dir == "" {
		return nil, ErrNoDirectory
	}
	return Search(ctx, l.dir, q)
}
