package tracking

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// Log is one message tracking log: a directory of files or a stream. It is
// safe for concurrent use; a nil *Log tracks nothing, so callers need not
// check whether tracking is on.
type Log struct {
	opts options
	dir  string
	w    *logfile.Writer
}

// New returns a Log writing to w: the header lines before the first
// record, then records. Close flushes but does not close w.
func New(w io.Writer, opts ...Option) *Log {
	l := newLog(opts)
	l.w = logfile.NewWriter(w, l.config())
	return l
}

// Open returns a Log writing files MSGTRKyyyymmdd-n.log in dir, created if
// missing. The first file is created at the first record; a new one starts
// at each UTC day and when the maximum file size would be exceeded, n
// counting from 1 each day past the files already there. Old files are
// deleted by age and directory size when Open runs and at each new file.
func Open(dir string, opts ...Option) (*Log, error) {
	l := newLog(opts)
	set, err := logfile.Open(dir, Prefix, logfile.Limits{MaxFileSize: l.opts.maxFile,
		MaxDirSize: l.opts.maxDir, MaxAge: l.opts.maxAge}, l.opts.now())
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	l.dir, l.w = dir, logfile.NewSetWriter(set, l.config())
	return l, nil
}

func newLog(opts []Option) *Log {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	return &Log{opts: o}
}

func (l *Log) config() logfile.Config {
	return logfile.Config{Name: "tracking", Header: l.header, FlushInterval: l.opts.flush, ErrClosed: ErrClosed}
}

func (l *Log) header(now time.Time) []byte {
	return fmt.Appendf(nil, "#Software: %s\r\n#Version: %s\r\n#Log-type: %s\r\n#Date: %s\r\n#Fields: %s\r\n",
		l.opts.software, l.opts.version, LogType, now.UTC().Format(TimeLayout), Fields)
}

// Dir returns the directory of a Log made by Open, "" for New.
func (l *Log) Dir() string { return l.dir }

// Track logs r; a zero r.Time is the Log's clock's now. Records are
// buffered and written by a background flusher; Track waits for disk only
// when its buffer is full. Records tracked after Close are dropped.
func (l *Log) Track(r Record) {
	if l == nil {
		return
	}
	now := l.opts.now()
	if r.Time.IsZero() {
		r.Time = now
	}
	l.w.Append(now, func(b []byte) []byte { return appendRecord(b, &r, l.opts.subject) })
}

// Flush writes the buffered records and returns the first write error
// since the Log was created, if any.
func (l *Log) Flush() error {
	if l == nil {
		return nil
	}
	return l.w.Flush()
}

// Close flushes, stops the flusher and closes the current file. It returns
// the first write error, or ErrClosed when already closed.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	return l.w.Close()
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
