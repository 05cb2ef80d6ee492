package dsn

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	nettextproto "net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// DefaultMaxOriginal is the default cap on the attached original body, the
// Exchange DsnMaxMessageAttachSize default.
const DefaultMaxOriginal = 10 << 20

// maxOriginalHeader bounds the original header read into memory.
const maxOriginalHeader = 1 << 20

// Notification describes one DSN message for Write.
type Notification struct {
	// From is the notification's author, e.g. "postmaster@contoso.com" or
	// "Mail Delivery System <MAILER-DAEMON@mx1.contoso.com>". Required.
	From string
	// To is the original envelope sender. Empty or "<>" is ErrNullSender.
	To string
	// Subject defaults to "Undeliverable: <original subject>" when a
	// recipient failed, "Delivery delayed: …" when one is delayed, and
	// "Delivered: …" / "Relayed: …" / "Expanded: …" otherwise.
	Subject string
	// Date defaults to the current time.
	Date time.Time
	// MessageID defaults to "<random@reporting-mta>".
	MessageID string
	// Boundary is the multipart boundary; random when empty. Set it for
	// reproducible output.
	Boundary string
	// Report is the delivery-status content. Required.
	Report Report
	// Original is the original message (header and body). When nil the
	// third part is omitted (RFC 3464 §2 makes it optional).
	Original io.Reader
	// ReturnFull attaches the whole original as message/rfc822 (RET=FULL);
	// otherwise only its header, as text/rfc822-headers.
	ReturnFull bool
	// MaxOriginal caps the attached body in bytes under ReturnFull; the
	// body is truncated there. 0 means DefaultMaxOriginal, negative means
	// no cap. Callers that know the size and want Exchange's behaviour
	// (headers only above the limit) clear ReturnFull instead.
	MaxOriginal int64
	// EightBit marks the original as 8-bit (received with BODY=8BITMIME or
	// SMTPUTF8): the attached part and the DSN are then labelled 8bit and
	// must be relayed with BODY=8BITMIME. 8-bit header bytes set it too.
	EightBit bool
}

// Write writes n as an RFC 3464 multipart/report; report-type=
// delivery-status message: a text/plain explanation, the message/
// delivery-status report and the original (see Notification). The
// original is streamed; X-MS-Exchange-Organization-*, X-MS-Exchange-
// Forest-*, Received and Resent-* fields are removed from its header.
// Invalid notifications return an error wrapping ErrInvalid
// or ErrNullSender before anything is written to w.
func Write(w io.Writer, n *Notification) error {
	if n == nil {
		return fmt.Errorf("%w: nil notification", ErrInvalid)
	}
	p, err := prepare(n)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := p.write(bw, n); err != nil {
		return err
	}
	return bw.Flush()
}

// prepared holds everything computed before the first byte is written.
type prepared struct {
	header   []byte // top-level header, CRLF-terminated, blank line included
	text     string
	status   []byte
	global   bool
	orig     *textproto.Header
	origBody *bufio.Reader
	origErr  *errRecorder
	eightBit bool
	boundary string
	mw       *multipart.Writer
}

func prepare(n *Notification) (*prepared, error) {
	to, err := formatAddress("To", n.To)
	if err != nil {
		return nil, err
	}
	from, err := formatAddress("From", n.From)
	if err != nil {
		return nil, err
	}
	p := &prepared{global: n.Report.isGlobal(), eightBit: n.EightBit}
	if p.status, err = n.Report.render(); err != nil {
		return nil, err
	}
	if err := p.readOriginal(n); err != nil {
		return nil, err
	}
	p.text = humanText(n, p.originalNote(n))
	// A throwaway writer picks a random boundary or validates the given one.
	mw := multipart.NewWriter(io.Discard)
	if n.Boundary != "" {
		if err := mw.SetBoundary(n.Boundary); err != nil {
			return nil, fmt.Errorf("%w: boundary: %v", ErrInvalid, err)
		}
	}
	p.boundary = mw.Boundary()
	date := n.Date
	if date.IsZero() {
		date = time.Now()
	}
	msgID, err := messageID(n)
	if err != nil {
		return nil, err
	}
	var f fieldList
	f.add("From", from)
	f.add("To", to)
	f.add("Subject", encodeSubject(p.subject(n)))
	f.add("Date", date.Format(dateLayout))
	f.add("Message-ID", msgID)
	f.add("Auto-Submitted", "auto-replied")
	f.add("MIME-Version", "1.0")
	f.add("Content-Type", mime.FormatMediaType("multipart/report", map[string]string{
		"report-type": "delivery-status", "boundary": p.boundary,
	}))
	if p.eightBit || p.global {
		f.add("Content-Transfer-Encoding", "8bit")
	}
	if f.err != nil {
		return nil, f.err
	}
	f.b.WriteString("\r\n")
	p.header = f.b.Bytes()
	return p, nil
}

// readOriginal reads and filters the original header, leaving the body to
// be streamed. A malformed header line ends the header: the fields before
// it are kept and the offending line is dropped.
func (p *prepared) readOriginal(n *Notification) error {
	if n.Original == nil {
		return nil
	}
	p.origErr = &errRecorder{r: n.Original}
	lr := &io.LimitedReader{R: p.origErr, N: maxOriginalHeader}
	p.origBody = bufio.NewReader(lr)
	h, _ := textproto.ReadHeader(p.origBody)
	if p.origErr.err != nil {
		return fmt.Errorf("dsn: reading original: %w", p.origErr.err)
	}
	lr.N = 1<<63 - 1
	for fs := h.Fields(); fs.Next(); {
		if firewalled(fs.Key()) {
			fs.Del()
			continue
		}
		if raw, err := fs.Raw(); err != nil || !isASCII(string(raw)) {
			p.eightBit = true
		}
	}
	p.orig = &h
	return nil
}

// Header-firewall classes removed from DSN attachments.
var firewallPrefixes = []string{"x-ms-exchange-organization-", "x-ms-exchange-forest-", "resent-"}

// firewalled reports whether the field belongs to the organization, forest
// or routing class. A plain prefix check, so dsn need not import perms.
func firewalled(key string) bool {
	k := strings.ToLower(key)
	if k == "received" {
		return true
	}
	for _, p := range firewallPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func (p *prepared) originalNote(n *Notification) string {
	switch {
	case n.Original == nil:
		return "not included"
	case n.ReturnFull:
		return "attached"
	}
	return "headers attached"
}

func (p *prepared) subject(n *Notification) string {
	if n.Subject != "" {
		return n.Subject
	}
	s := subjectPrefix(&n.Report)
	if p.orig == nil {
		return s
	}
	orig := p.orig.Get("Subject")
	if dec, err := new(mime.WordDecoder).DecodeHeader(orig); err == nil {
		orig = dec
	}
	// An encoded word may smuggle control characters; never pass them on.
	orig = strings.Join(strings.FieldsFunc(orig, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == ' '
	}), " ")
	if orig == "" {
		return s
	}
	return s + ": " + orig
}

func encodeSubject(s string) string {
	if isASCII(s) {
		return s
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// formatAddress validates an address field; To may not be null.
func formatAddress(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if field == "To" && (v == "" || v == "<>") {
		return "", ErrNullSender
	}
	if v == "" {
		return "", fmt.Errorf("%w: %s is required", ErrInvalid, field)
	}
	a, err := mail.ParseAddress(v)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q: %v", ErrInvalid, field, v, err)
	}
	return a.String(), nil
}

func messageID(n *Notification) (string, error) {
	if id := strings.TrimSpace(n.MessageID); id != "" {
		if !strings.HasPrefix(id, "<") {
			id = "<" + id + ">"
		}
		return id, checkValue("Message-ID", id)
	}
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("dsn: message-id: %w", err)
	}
	_, host := SplitTyped(n.Report.ReportingMTA)
	if !isMsgIDHost(host) {
		host = "localhost"
	}
	return "<" + hex.EncodeToString(rnd[:]) + "@" + host + ">", nil
}

// isMsgIDHost reports whether h can be the id-right of a msg-id
// (RFC 5322 §3.6.4): a dot-atom or a domain literal.
func isMsgIDHost(h string) bool {
	if h == "" {
		return false
	}
	for _, label := range strings.Split(strings.Trim(h, "[]"), ".") {
		if !isAtom(label) {
			return false
		}
	}
	return true
}

// write emits the prepared message and streams the original. Errors of
// bw are sticky, so unchecked writes to it surface at the next checked
// write or at Flush.
func (p *prepared) write(bw *bufio.Writer, n *Notification) error {
	bw.Write(p.header)
	bw.WriteString("This is a MIME-formatted delivery status notification.\r\n")
	p.mw = multipart.NewWriter(bw)
	p.mw.SetBoundary(p.boundary) // validated in prepare
	if err := p.writeText(); err != nil {
		return err
	}
	ct := "message/delivery-status"
	h := nettextproto.MIMEHeader{"Content-Description": {"Delivery report"}}
	if p.global {
		ct = "message/global-delivery-status"
		h.Set("Content-Transfer-Encoding", "8bit")
	}
	h.Set("Content-Type", ct)
	pw, err := p.mw.CreatePart(h)
	if err != nil {
		return err
	}
	pw.Write(p.status)
	if err := p.writeOriginal(n); err != nil {
		return err
	}
	return p.mw.Close()
}

func (p *prepared) writeText() error {
	h := nettextproto.MIMEHeader{"Content-Description": {"Notification"}}
	if isASCII(p.text) {
		h.Set("Content-Type", "text/plain; charset=us-ascii")
		pw, err := p.mw.CreatePart(h)
		if err != nil {
			return err
		}
		lw := &lineWriter{w: pw}
		io.WriteString(lw, p.text)
		return lw.finish()
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := p.mw.CreatePart(h)
	if err != nil {
		return err
	}
	qw := quotedprintable.NewWriter(pw)
	io.WriteString(qw, p.text)
	return qw.Close()
}

func (p *prepared) writeOriginal(n *Notification) error {
	if p.orig == nil {
		return nil
	}
	h := nettextproto.MIMEHeader{}
	if n.ReturnFull {
		h.Set("Content-Type", "message/rfc822")
		h.Set("Content-Description", "Original message")
	} else {
		h.Set("Content-Type", "text/rfc822-headers")
		h.Set("Content-Description", "Original message headers")
	}
	if p.eightBit {
		h.Set("Content-Transfer-Encoding", "8bit")
	}
	pw, err := p.mw.CreatePart(h)
	if err != nil {
		return err
	}
	// text/rfc822-headers holds the header section alone (RFC 6522 §4);
	// message/rfc822 adds the blank line and the body.
	hw := &lineWriter{w: pw, fold: true}
	for fs := p.orig.Fields(); fs.Next(); {
		raw, err := fs.Raw()
		if err != nil {
			return err
		}
		if _, err := hw.Write(raw); err != nil {
			return err
		}
	}
	if !n.ReturnFull {
		return nil
	}
	if err := hw.eol(); err != nil {
		return err
	}
	limit := n.MaxOriginal
	if limit == 0 {
		limit = DefaultMaxOriginal
	}
	var body io.Reader = p.origBody
	if limit > 0 {
		body = io.LimitReader(body, limit)
	}
	lw := &lineWriter{w: pw}
	if _, err := io.Copy(lw, body); err != nil {
		return fmt.Errorf("dsn: copying original: %w", err)
	}
	return lw.finish()
}

// errRecorder remembers the first read error other than io.EOF, so that a
// failing reader is told apart from a malformed header.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
