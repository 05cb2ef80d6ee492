package smtpx

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/perms"
)

// Data receives a message (DATA, or BDAT chunks through a pipe) and
// answers 250 only after queue.Enqueue has made it durable. The pipeline
// streams: only the header block is held in memory, bounded by the
// connector's MaxHeaderSize; the body goes from the socket to the queue in
// chunks.
//
//	size limit ─ header (≤ MaxHeaderSize) ─ hop count ─ firewall ─
//	Received + header + auth fields ─ body ─ Enqueue ─ 250 2.6.0
func (s *session) Data(r io.Reader) error {
	// For BDAT go-smtp runs Data on its own goroutine, which may start
	// after the transaction was already reset: joinTx then refuses, and
	// otherwise keeps Shutdown waiting until Data returns.
	t := s.s.t
	if pr, ok := r.(*io.PipeReader); ok {
		defer close(s.c.startBDAT(pr).done)
	}
	if !s.c.joinTx(&t.txWG) {
		return smtp.ErrDataReset
	}
	defer t.txWG.Done()
	return s.snapshot().receive(r)
}

// snapshot copies what receive reads, so that RSET or a new MAIL on the
// command goroutine never races a BDAT transfer still running. A transfer
// aborted that way reads smtp.ErrDataReset from its pipe and enqueues
// nothing, whichever transaction the snapshot caught.
func (s *session) snapshot() *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &session{s: s.s, c: s.c, helo: s.helo, tls: s.tls, id: s.id, user: s.user, rights: s.rights, env: s.env}
	tx.env.Recipients = slices.Clone(s.env.Recipients)
	return tx
}

func (s *session) receive(r io.Reader) error {
	t, rc := s.s.t, s.s.rc
	limit := rc.MaxMessageSize()
	if s.rights.Has(perms.BypassMessageSizeLimit) {
		limit = 0
	}
	body := &limitReader{r: r, limit: limit, broken: s.c.closeAfterNextWrite}
	hl := &headerLimiter{r: body, n: rc.MaxHeaderSize() + readBuffer}
	br := bufio.NewReaderSize(hl, readBuffer)
	h, err := textproto.ReadHeader(br)
	switch {
	case body.err != nil:
		return body.err
	case hl.tripped || hl.read-int64(br.Buffered()) > rc.MaxHeaderSize():
		return s.refused("DATA", replyHeaderTooBig, false)
	case err != nil:
		return s.refused("DATA", replyBadHeader, false)
	}
	hl.n = -1

	hops, local := s.countHops(&h)
	if hops > rc.MaxHopCount() || rc.MaxLocalHopCount() > 0 && local > rc.MaxLocalHopCount() {
		return s.refused("DATA", replyHopCount, false)
	}
	if removed := t.firewall.FilterReceive(&h, s.rights); len(removed) > 0 {
		s.trace(Event{Kind: EventHeadersStripped, Stripped: removed, Detail: removedNames(removed)})
	}

	var hdr bytes.Buffer
	if err := textproto.WriteHeader(&hdr, h); err != nil {
		return Status(err)
	}
	hdr.Truncate(hdr.Len() - 2) // reopen the header block: drop the blank line
	hdr.WriteString(s.authFields(h.Has))
	hdr.WriteString("\r\n")

	now := s.now()
	id := t.q.NewID() // stamped in Received, so the trace names the queue ID
	env := s.env
	env.HopCount = hops
	env.Received = now
	msg := io.MultiReader(strings.NewReader(s.receivedField(string(id), now)), &hdr, br)
	if err := t.q.EnqueueWithID(t.ctx, id, env, msg); err != nil {
		if body.err != nil {
			if body.err == replyTooBig {
				return s.refused("DATA", replyTooBig, false)
			}
			return body.err
		}
		t.log.Warn("smtpx: enqueue failed", "session", s.c.id, "err", err)
		return Status(err)
	}
	s.trace(Event{Kind: EventQueued, QueueID: id})
	return queuedReply(id)
}

// readBuffer is the bufio size between the socket and the queue.
const readBuffer = 32 << 10

// countHops counts Received fields (MaxHopCount) and those naming this
// server or one of its connector FQDNs after "by" (MaxLocalHopCount).
func (s *session) countHops(h *textproto.Header) (all, local int) {
	fields := h.FieldsByKey("Received")
	for fields.Next() {
		all++
		if by := receivedBy(fields.Value()); by != "" && s.s.t.localNames[by] {
			local++
		}
	}
	return all, local
}

// receivedBy returns the lower-cased host after "by" in a Received value.
func receivedBy(v string) string {
	words := strings.Fields(v)
	for i := 0; i+1 < len(words); i++ {
		if strings.EqualFold(words[i], "by") {
			return strings.ToLower(strings.TrimRight(words[i+1], ".;,"))
		}
	}
	return ""
}

func removedNames(rs []perms.Removed) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Key
	}
	return strings.Join(names, ",")
}

// limitReader enforces the message size limit while streaming (0: none)
// and shields the queue from go-smtp's io.ErrUnexpectedEOF on a dropped
// connection: the queue takes ErrUnexpectedEOF for the end of the body,
// which would commit a truncated message. A read that fails for any other
// reason (inactivity timeout, connection reset) calls broken: the client may still be
// sending the rest of the body, which go-smtp would otherwise read as
// commands, so the 451 must be the session's last reply.
type limitReader struct {
	r      io.Reader
	limit  int64
	n      int64
	err    error
	broken func()
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.limit > 0 && l.n > l.limit {
		l.err = replyTooBig
		return 0, l.err
	}
	switch {
	case err == nil, err == io.EOF:
		return n, err
	case errors.Is(err, smtp.ErrDataTooLarge):
		l.err = replyTooBig
	case errors.Is(err, smtp.ErrTooLongLine):
		l.err = replyLineTooLong
	case errors.Is(err, smtp.ErrDataReset):
		// RSET, EHLO or the connection ending aborted a BDAT transfer
		// (RFC 3030): nothing is enqueued and no reply follows, so the
		// session goes on.
		l.err = err
	default:
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			l.err = se
		} else {
			l.err = replyDataAborted
			if l.broken != nil {
				l.broken()
			}
		}
	}
	return n, l.err
}

// headerLimiter bounds what the header parser may read; n < 0 lifts the
// bound once the header block is done.
type headerLimiter struct {
	r       io.Reader
	n       int64
	read    int64
	tripped bool
}

func (h *headerLimiter) Read(p []byte) (int, error) {
	if h.n >= 0 {
		if h.read >= h.n {
			h.tripped = true
			return 0, io.EOF
		}
		if rem := h.n - h.read; int64(len(p)) > rem {
			p = p[:rem]
		}
	}
	n, err := h.r.Read(p)
	h.read += int64(n)
	return n, err
}
