package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// delivery is the state of one Maildir.Deliver call.
type delivery struct {
	m    *Maildir
	ctx  context.Context
	env  *queue.Envelope
	open func() (io.ReadCloser, error)

	// master is the first file written, kept open so later recipients copy
	// it instead of reading the queue again; masterPath is its name in
	// new/ (for hard links) and bodyOff where its body starts.
	master     *os.File
	masterPath string
	bodyOff    int64
	eol        string
	delivered  bool
}

// deliver is Deliver on an envelope and a body opener, so tests can drive
// it without a queue.
func (m *Maildir) deliver(ctx context.Context, env *queue.Envelope, open func() (io.ReadCloser, error), rcpts []queue.Recipient) ([]queue.Result, error) {
	d := &delivery{m: m, ctx: ctx, env: env, open: open}
	defer d.close()
	results := make([]queue.Result, len(rcpts))
	seen := make(map[string]int, len(rcpts))
	for i, r := range rcpts {
		if err := ctx.Err(); err != nil {
			return d.abort(results, i, err)
		}
		dir, canon, err := m.resolve(r.Address)
		if err == nil && m.opts.requireExist {
			err = requireMaildir(dir)
		}
		if err != nil {
			results[i] = failureResult(err)
			continue
		}
		// The same mailbox twice (e.g. "Bob@x" and "bob@x") gets one copy.
		key := dir
		if m.opts.deliveredTo {
			key += "\x00" + canon
		}
		if j, ok := seen[key]; ok {
			results[i] = results[j]
			continue
		}
		seen[key] = i
		res, srcErr := d.one(dir, canon)
		if srcErr != nil {
			return d.abort(results, i, srcErr)
		}
		results[i] = res
	}
	return results, nil
}

// abort ends a delivery whose source failed (body unreadable, ctx done) at
// recipient i. Before any recipient was delivered it is a failed attempt;
// after, the rest are deferred so nobody gets the message twice.
func (d *delivery) abort(results []queue.Result, i int, err error) ([]queue.Result, error) {
	if !d.delivered {
		return nil, fmt.Errorf("local: maildir delivery: %w", err)
	}
	for ; i < len(results); i++ {
		if results[i].Code == 0 {
			results[i] = resultInterrupt
		}
	}
	return results, nil
}

func (d *delivery) close() {
	if d.master != nil {
		d.master.Close()
	}
}

// one delivers to the Maildir dir. It returns a non-nil error only when
// the source failed; mailbox failures are results.
func (d *delivery) one(dir, canon string) (queue.Result, error) {
	if err := ensureMaildir(dir, d.m.root); err != nil {
		return diskResult(err), nil
	}
	name := d.m.uniqueName()
	newDir := filepath.Join(dir, "new")
	newPath := filepath.Join(newDir, name)
	if !d.m.opts.deliveredTo && d.masterPath != "" {
		// Identical content: a link is atomic and costs no data I/O. On
		// failure (EXDEV, no link support, master moved to cur/) copy.
		if os.Link(d.masterPath, newPath) == nil {
			return d.commit(newPath, syncDir(newDir)), nil
		}
	}
	tmpPath := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return diskResult(err), nil
	}
	hdrLen, sinkErr, srcErr := d.write(f, canon)
	if sinkErr == nil && srcErr == nil {
		sinkErr = f.Sync()
	}
	if sinkErr != nil || srcErr != nil {
		f.Close()
		os.Remove(tmpPath)
		return diskResult(sinkErr), srcErr
	}
	if err := os.Rename(tmpPath, newPath); err != nil {
		f.Close()
		os.Remove(tmpPath)
		return diskResult(err), nil
	}
	res := d.commit(newPath, syncDir(newDir))
	if !res.Success() || d.master != nil {
		f.Close()
		return res, nil
	}
	d.master, d.masterPath, d.bodyOff = f, newPath, hdrLen
	return res, nil
}

// commit judges a file that has reached new/: if new/ could not be synced
// the delivery is not durable, so the file is withdrawn and retried later.
func (d *delivery) commit(newPath string, syncErr error) queue.Result {
	if syncErr != nil {
		os.Remove(newPath)
		return diskResult(syncErr)
	}
	d.delivered = true
	return resultDelivered
}

// write fills f with the prepended headers and the body, from the queue
// for the first file and from the master copy after that. sinkErr is a
// failure writing f, srcErr one reading the queue's body.
func (d *delivery) write(f *os.File, canon string) (hdrLen int64, sinkErr, srcErr error) {
	var body io.Reader
	if d.master == nil {
		rc, err := d.open()
		if err != nil {
			return 0, nil, err
		}
		defer rc.Close()
		src := &sourceReader{ctx: d.ctx, r: rc}
		br := bufio.NewReaderSize(src, 64<<10)
		d.eol = detectEOL(br)
		if src.err != nil {
			return 0, nil, src.err
		}
		defer func() {
			if src.err != nil {
				sinkErr, srcErr = nil, src.err
			}
		}()
		body = br
	} else {
		if _, err := d.master.Seek(d.bodyOff, io.SeekStart); err != nil {
			return 0, err, nil
		}
		body = d.master // *os.File to *os.File: copy_file_range on Linux
	}
	hdr := d.headers(canon)
	if _, err := io.WriteString(f, hdr); err != nil {
		return 0, err, nil
	}
	_, err := io.Copy(f, body)
	return int64(len(hdr)), err, nil
}

// headers returns Return-Path and (unless off) Delivered-To, ending with
// the message's own line ending so the file stays consistent. The mailbox
// in Delivered-To is written as a path would carry it: a local part that
// is no dot-atom quoted again.
func (d *delivery) headers(canon string) string {
	var b strings.Builder
	b.WriteString("Return-Path: <" + headerSafe(d.env.From) + ">" + d.eol)
	if d.m.opts.deliveredTo {
		at := strings.LastIndexByte(canon, '@')
		b.WriteString("Delivered-To: " + wire.QuoteLocal(canon[:at]) + canon[at:] + d.eol)
	}
	return b.String()
}

// detectEOL peeks at the first line: bare LF bodies get LF headers,
// everything else CRLF, the form SMTP carries.
func detectEOL(br *bufio.Reader) string {
	buf, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(buf, '\n'); i >= 0 && (i == 0 || buf[i-1] != '\r') {
		return "\n"
	}
	return "\r\n"
}

// headerSafe drops characters that could break out of a header line.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// sourceReader reads the queue's body, remembering its error so a failed
// read is told apart from a failed write, and stopping once ctx is done.
// EOF is sticky: a body read to its end is complete whatever ctx does next.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	err error
	eof bool
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if s.eof {
		return 0, io.EOF
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.err = err
	}
	return n, err
}

// uniqueName returns "<sec>.M<usec>P<pid>Q<n>R<random>.<host>", the
// modern unique-name form of the Maildir specification.
func (m *Maildir) uniqueName() string {
	now := time.Now()
	var rb [8]byte
	rand.Read(rb[:])
	return fmt.Sprintf("%d.M%dP%dQ%dR%016x.%s", now.Unix(), now.Nanosecond()/1000,
		m.pid, m.count.Add(1), binary.BigEndian.Uint64(rb[:]), m.host)
}

// ensureMaildir creates dir/{tmp,new,cur} when missing and, the first time,
// syncs every directory from dir up to root so the new entries are durable.
func ensureMaildir(dir, root string) error {
	if ok, err := isMaildir(dir); err != nil {
		return err
	} else if ok {
		return os.MkdirAll(filepath.Join(dir, "tmp"), dirPerm)
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), dirPerm); err != nil {
			return err
		}
	}
	for p := dir; ; p = filepath.Dir(p) {
		if err := syncDir(p); err != nil {
			return err
		}
		if p == root || p == filepath.Dir(p) {
			return nil
		}
	}
}

// requireMaildir is the WithRequireExisting check.
func requireMaildir(dir string) error {
	ok, err := isMaildir(dir)
	if err == nil && !ok {
		err = ErrUnknownMailbox
	}
	return err
}

// syncDir makes a directory's entries durable. Windows cannot fsync a
// directory (and does not need to), so it is skipped there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// diskResult classifies a file-system failure as a temporary result. The
// text names the errno only: paths stay out of DSNs.
func diskResult(err error) queue.Result {
	var errno syscall.Errno
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return resultDiskFull
	case errors.Is(err, syscall.EDQUOT):
		return resultQuota
	case errors.As(err, &errno):
		return queue.Result{Code: 451, Enhanced: "4.3.0", Text: "Local delivery failed: " + errno.Error()}
	}
	return queue.Result{Code: 451, Enhanced: "4.3.0", Text: "Local delivery failed"}
}
