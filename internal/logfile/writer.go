package logfile

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// bufLimit is the buffered size past which records are written at once.
const bufLimit = 64 << 10

// Config says how a Writer starts files and when it writes.
type Config struct {
	// Name prefixes the Writer's errors ("tracking: ...").
	Name string
	// Header returns the lines that start each file or the stream.
	Header func(now time.Time) []byte
	// FlushInterval bounds how long records stay buffered; <= 0 writes
	// each record at once. Writes are never fsync'd.
	FlushInterval time.Duration
	// ErrClosed is what Flush and Close return after Close.
	ErrClosed error
}

// Writer buffers the records of one log and writes them to a stream or to
// a Set, starting files as the Set's limits say. It is safe for concurrent
// use.
type Writer struct {
	c    Config
	stop chan struct{} // closed by Close; ends the flusher
	done chan struct{} // closed when the flusher has ended

	mu     sync.Mutex
	w      io.Writer // the stream; nil with a Set
	set    *Set
	header bool // the stream has its header
	buf    []byte
	err    error // first write error, reported by Flush and Close
	closed bool
}

// NewWriter returns a Writer to w, which writes the header before the
// first record. Close does not close w.
func NewWriter(w io.Writer, c Config) *Writer { return start(&Writer{c: c, w: w}) }

// NewSetWriter returns a Writer to the files of s, which it owns.
func NewSetWriter(s *Set, c Config) *Writer { return start(&Writer{c: c, set: s}) }

func start(w *Writer) *Writer {
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	if w.c.FlushInterval <= 0 {
		close(w.done)
		return w
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(w.c.FlushInterval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				_ = w.Flush()
			case <-w.stop:
				return
			}
		}
	}()
	return w
}

// Append adds the record that rec appends to its argument, stamped now
// for the choice of file. Records appended after Close are dropped.
func (w *Writer) Append(now time.Time, rec func([]byte) []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	n := len(w.buf)
	w.buf = rec(w.buf)
	switch {
	case w.set != nil:
		if w.set.Due(now, n, len(w.buf)-n) {
			r := string(w.buf[n:])
			w.buf = w.buf[:n]
			w.flushLocked()
			if err := w.set.Roll(now, w.c.Header(now)); err != nil {
				w.setErr(err)
			}
			w.buf = append(w.buf, r...)
		}
	case !w.header:
		w.header = true
		r := string(w.buf[n:])
		w.buf = append(append(w.buf[:n], w.c.Header(now)...), r...)
	}
	if w.c.FlushInterval <= 0 || len(w.buf) >= bufLimit {
		w.flushLocked()
	}
}

func (w *Writer) flushLocked() {
	if len(w.buf) == 0 {
		return
	}
	var err error
	if w.set != nil {
		err = w.set.Write(w.buf)
	} else {
		_, err = w.w.Write(w.buf)
	}
	w.setErr(err)
	// A failed write drops the records rather than growing without bound.
	w.buf = w.buf[:0]
}

func (w *Writer) setErr(err error) {
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("%s: %w", w.c.Name, err)
	}
}

// Flush writes the buffered records and returns the first write error
// since the Writer was made, if any.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.c.ErrClosed
	}
	w.flushLocked()
	return w.err
}

// Close flushes, stops the flusher and closes the current file. It
// returns the first write error, or Config.ErrClosed when already closed.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return w.c.ErrClosed
	}
	w.flushLocked()
	w.closed = true
	if w.set != nil {
		w.setErr(w.set.Close())
	}
	err := w.err
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	return err
}
