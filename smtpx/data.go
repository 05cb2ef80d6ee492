package smtpx

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// data receives a message (DATA, or BDAT chunks) and answers 250 only
// after queue.Enqueue has made it durable. The pipeline streams: only the
// header block is held in memory, bounded by the connector's
// MaxHeaderSize; the body goes from the socket to the queue in chunks.
//
//	size limit ─ header (≤ MaxHeaderSize) ─ hop count ─ firewall ─
//	loop guard ─ Received + header + auth fields ─ body ─ Enqueue ─
//	250 2.6.0
//
// Its result is the reply, the 250 included.
func (s *session) data(r io.Reader) error {
	t, rc := s.s.t, s.s.rc
	limit := rc.MaxMessageSize()
	if s.rights.Has(perms.BypassMessageSizeLimit) {
		limit = 0
	}
	st := receivePool.Get().(*receiveState)
	// Enqueue reads st.br through st.msg: st goes back to the pool only
	// when receive returns, after EnqueueWithID has.
	defer st.release()
	body := &st.body
	*body = limitReader{r: r, limit: limit, c: s.c}
	st.hl = headerLimiter{r: body, n: rc.MaxHeaderSize() + readBuffer}
	st.br.Reset(&st.hl)
	facts, removed, err := s.s.g.scanHeader(st, s.rights, t.log.Enabled(t.ctx, slog.LevelInfo))
	switch {
	case body.err != nil:
		return body.err
	case st.hl.tripped || st.hl.read-int64(st.br.Buffered()) > rc.MaxHeaderSize():
		return replyHeaderTooBig
	case err != nil:
		return replyBadHeader
	}
	st.hl.n = -1

	if facts.hops > rc.MaxHopCount() || rc.MaxLocalHopCount() > 0 && facts.local > rc.MaxLocalHopCount() {
		return replyHopCount
	}
	now := s.now()
	var looped bool
	if facts.loopKey, looped = t.loops.looped(&facts.ident, &s.env, now); looped {
		t.log.Info("smtpx: routing loop, message refused", "message_id", facts.msgID, "from", s.env.From,
			"rcpts", recipientList(s.env.Recipients), "session", s.c.id, "remote", s.c.remote.Addr().String())
		return replyRoutingLoop
	}
	if len(removed) > 0 {
		s.trace(Event{Kind: EventHeadersStripped, Stripped: removed, Detail: perms.RemovedKeys(removed)})
	}

	if s.sc.ag != nil {
		return s.dataAgents(st, &facts, now)
	}
	id := t.q.NewID() // stamped in Received, so the trace names the queue ID
	env := s.env
	env.HopCount = facts.hops
	env.Received = now
	// Received in front, the kept fields, a submission's missing Date and
	// Message-ID, the auth fields, the blank line.
	st.stamped = s.appendReceived(st.stamped[:0], string(id), now)
	st.stamped = append(st.stamped, st.hdr...)
	st.stamped = s.appendSubmissionFields(st.stamped, &facts, string(id), now)
	st.stamped = s.appendAuthFields(st.stamped, &facts.auth)
	env.MessageID = facts.msgID
	env.Subject = facts.subject
	st.stamped = append(st.stamped, '\r', '\n')
	st.msg = prefixed{b: st.stamped, r: st.br}
	if err := t.q.EnqueueWithID(t.ctx, id, env, &st.msg); err != nil {
		if body.err != nil {
			if body.err == replyTooBig {
				return replyTooBig
			}
			return body.err
		}
		t.log.Warn("smtpx: enqueue failed", "session", s.c.id, "err", err)
		return Status(err)
	}
	t.loops.transit(facts.loopKey, now)
	s.trace(Event{Kind: EventQueued, QueueID: id})
	s.logQueued(id, &facts, &env)
	return queuedReply(id)
}

// logQueued writes the info line of a queued message (facts.logID: info is
// enabled).
func (s *session) logQueued(id queue.ID, facts *headerFacts, env *queue.Envelope) {
	if facts.logID {
		s.s.t.log.Info("smtpx: queued", "id", string(id), "message_id", facts.msgID, "from", env.From,
			"rcpts", recipientList(env.Recipients), "connector", s.s.rc.Name(), "session", s.c.id,
			"remote", s.c.remote.Addr().String())
	}
}

// readBuffer is the bufio size between the socket and the queue.
const readBuffer = 32 << 10

// receiveState is what one receive needs, pooled because every message
// needs it: the readers between the socket and the queue, the 32 KiB read
// buffer, and the buffers the header is filtered and stamped in.
type receiveState struct {
	body    limitReader
	hl      headerLimiter
	br      *bufio.Reader
	hdr     []byte   // the kept header fields
	stamped []byte   // Received, kept fields, auth fields, blank line
	msg     prefixed // the stamped header, then br
}

var receivePool = sync.Pool{New: func() any {
	return &receiveState{br: bufio.NewReaderSize(nil, readBuffer)}
}}

// maxPooledHeader caps the header buffers kept for reuse, so that one huge
// header does not pin its memory for the life of the process.
const maxPooledHeader = 64 << 10

func (st *receiveState) release() {
	st.br.Reset(nil)
	st.body, st.hl, st.msg = limitReader{}, headerLimiter{}, prefixed{}
	if cap(st.hdr) > maxPooledHeader || cap(st.stamped) > maxPooledHeader {
		st.hdr, st.stamped = nil, nil
	}
	receivePool.Put(st)
}

// scanHeader reads the header block from st.br into st.hdr in one pass:
// hop counts, the firewall with the session's rights, which auth fields
// the message already carries, the loop guard's digest, and (logID) the
// Message-ID for the log.
func (g *generation) scanHeader(st *receiveState, rights perms.Right, logID bool) (facts headerFacts, removed []perms.Removed, err error) {
	facts.logID = logID
	st.hdr, removed, err = g.firewall.ScanHeader(st.hdr[:0], st.br, perms.Allowed(perms.Receive, rights),
		func(f perms.Field) { facts.see(g, f) })
	return facts, removed, err
}

// headerFacts is what receive learns from the header fields as the
// firewall's scanner meets them.
type headerFacts struct {
	hops  int // Received fields (MaxHopCount)
	local int // those naming this server after "by" (MaxLocalHopCount)
	// auth records which authHeaders the message keeps after the firewall.
	auth [len(authHeaders)]bool
	// ident digests the fields that identify the message, and loopKey
	// names it in the loopGuard.
	ident   identity
	loopKey uint64
	// msgID is the Message-ID field, kept with the envelope for the
	// tracking log and Get-Message, and written in the info log line
	// (logID: info is enabled).
	logID bool
	msgID string
	// subject is the raw Subject field, kept with the envelope for the
	// tracking log.
	subject string
	// date: the message has a Date field.
	date bool
}

func (h *headerFacts) see(g *generation, f perms.Field) {
	if f.NameIs("Received") {
		h.hops++
		if g.localHop(f.Value) {
			h.local++
		}
		return
	}
	if f.Kept {
		h.ident.see(f)
		switch {
		case h.msgID == "" && f.NameIs("Message-ID"):
			h.msgID = string(bytes.TrimSpace(f.Value))
		case h.subject == "" && f.NameIs("Subject"):
			h.subject = string(bytes.TrimSpace(f.Value))
		case f.NameIs("Date"):
			h.date = true
		}
		for i, k := range authHeaders {
			if f.NameIs(k) {
				h.auth[i] = true
			}
		}
	}
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// localHop reports whether a raw Received value names this server or one
// of its connector FQDNs after "by". Lower-casing an ASCII host in a stack
// buffer keeps the lookup free of allocations.
func (g *generation) localHop(v []byte) bool {
	w, ok := byWord(v)
	if !ok || len(w) == 0 {
		return false
	}
	var buf [256]byte
	if len(w) > len(buf) {
		return g.localNames[receivedBy(string(v))]
	}
	for i, c := range w {
		if c >= utf8.RuneSelf {
			return g.localNames[receivedBy(string(v))] // Unicode lower case
		}
		buf[i] = lowerASCII(c)
	}
	return g.localNames[string(buf[:len(w)])]
}

// receivedBy returns the lower-cased host after "by" in a Received value.
func receivedBy(v string) string {
	w, _ := byWord(v)
	return strings.ToLower(w)
}

// byWord returns the word after the first word "by" (any case) of a
// Received value, without trailing '.', ';' or ','; false when there is
// none. Words are split as strings.Fields splits them, at Unicode white
// space, so a folded value gives the words of its unfolded form.
func byWord[S ~string | ~[]byte](v S) (S, bool) {
	afterBy := false
	for i := 0; i < len(v); {
		for i < len(v) && isSpaceAt(v, i) {
			i += runeLen(v, i)
		}
		start := i
		for i < len(v) && !isSpaceAt(v, i) {
			i += runeLen(v, i)
		}
		if start == i {
			break
		}
		w := v[start:i]
		if afterBy {
			for len(w) > 0 && (w[len(w)-1] == '.' || w[len(w)-1] == ';' || w[len(w)-1] == ',') {
				w = w[:len(w)-1]
			}
			return w, true
		}
		afterBy = len(w) == 2 && lowerASCII(w[0]) == 'b' && lowerASCII(w[1]) == 'y'
	}
	return v[:0], false
}

func isSpaceAt[S ~string | ~[]byte](v S, i int) bool {
	if c := v[i]; c < utf8.RuneSelf {
		return asciiSpace[c]
	}
	r, _ := utf8.DecodeRuneInString(string(v[i:min(i+utf8.UTFMax, len(v))]))
	return unicode.IsSpace(r)
}

func runeLen[S ~string | ~[]byte](v S, i int) int {
	if v[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(string(v[i:min(i+utf8.UTFMax, len(v))]))
	return n
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func recipientList(rs []queue.Recipient) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r.Address)
	}
	return b.String()
}

// limitReader enforces the message size limit while streaming (0: none)
// and shields the queue from io.ErrUnexpectedEOF on a dropped connection:
// the queue takes ErrUnexpectedEOF for the end of the body, which would
// commit a truncated message. A read that fails for any other reason
// (inactivity timeout, connection reset, a line too long) closes the
// connection after the reply: the client may still be sending the rest of
// the body, which would otherwise be read as commands, so the reply must be
// the session's last.
type limitReader struct {
	r     io.Reader
	limit int64
	n     int64
	err   error
	c     *conn // told to close after the reply when the transfer broke
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
	case errors.Is(err, wire.ErrLineTooLong):
		l.err = replyLineTooLong
		l.c.closeAfterReply()
	case errors.Is(err, errTransferAborted):
		// The client left a BDAT transfer for another command (RFC
		// 3030): nothing is enqueued and no reply follows, so the session
		// goes on.
		l.err = err
	default:
		var se *dsn.Reply
		if errors.As(err, &se) {
			l.err = se
		} else {
			l.err = replyDataAborted
			l.c.closeAfterReply()
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
