package dsn

import (
	"bufio"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

const (
	// maxStatusBody bounds a delivery-status body (about 10 000 recipients).
	maxStatusBody = 4 << 20
	// maxTopHeader bounds the header of a parsed DSN.
	maxTopHeader = 1 << 20
)

// ParseDeliveryStatus parses a message/delivery-status (or RFC 6533
// message/global-delivery-status) body: a per-message field group followed
// by per-recipient groups, separated by blank lines. Field names are
// case-insensitive, folded values are unfolded, unknown and extension
// fields are ignored, and malformed optional dates are left zero. Missing
// required fields (Reporting-MTA, Final-Recipient, Action, Status) and
// unknown actions or bad status codes give a *ParseError.
func ParseDeliveryStatus(r io.Reader) (*Report, error) {
	lr := &io.LimitedReader{R: r, N: maxStatusBody + 1}
	br := bufio.NewReader(lr)
	var rep *Report
	for n := 0; ; n++ {
		h, more, err := readGroup(br)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		if rep == nil {
			if rep, err = parsePerMessage(h); err != nil {
				return nil, err
			}
			continue
		}
		rr, err := parsePerRecipient(h, n)
		if err != nil {
			return nil, err
		}
		rep.Recipients = append(rep.Recipients, rr)
	}
	if lr.N <= 0 {
		return nil, newParseError("delivery-status", "", "body larger than 4 MiB")
	}
	if rep == nil {
		return nil, newParseError("delivery-status", "", "empty body")
	}
	if len(rep.Recipients) == 0 {
		return nil, newParseError("delivery-status", "", "no per-recipient fields")
	}
	return rep, nil
}

// readGroup skips blank lines and reads one header block; more is false at
// the end of input.
func readGroup(br *bufio.Reader) (h textproto.Header, more bool, err error) {
	for {
		b, err := br.Peek(1)
		if len(b) == 0 {
			if err == io.EOF {
				return h, false, nil
			}
			return h, false, &ParseError{Kind: "delivery-status", Msg: "read", Err: err}
		}
		if b[0] != '\r' && b[0] != '\n' && b[0] != ' ' && b[0] != '\t' {
			break
		}
		// A line of only white space separates groups like an empty one.
		line, err := br.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			return h, false, newParseError("delivery-status", line, "continuation line outside a field")
		}
		if err == io.EOF {
			return h, false, nil
		}
	}
	h, err = textproto.ReadHeader(br)
	if err != nil && err != io.EOF {
		pe := newParseError("delivery-status", "", "malformed field")
		pe.Err = err
		return h, false, pe
	}
	return h, true, nil
}

func parsePerMessage(h textproto.Header) (*Report, error) {
	rep := &Report{EnvID: h.Get("Original-Envelope-Id")}
	if h.Has("Final-Recipient") && !h.Has("Reporting-Mta") {
		return nil, newParseError("delivery-status", "", "per-message fields missing (first group is a recipient)")
	}
	rep.ReportingMTA = mtaName(h.Get("Reporting-Mta"))
	if rep.ReportingMTA == "" {
		return nil, newParseError("delivery-status", "", "missing Reporting-MTA")
	}
	rep.ReceivedFromMTA = mtaName(h.Get("Received-From-Mta"))
	rep.ArrivalDate = parseDate(h.Get("Arrival-Date"))
	return rep, nil
}

func parsePerRecipient(h textproto.Header, n int) (RecipientReport, error) {
	rr := RecipientReport{
		FinalRecipient:    address(h.Get("Final-Recipient")),
		OriginalRecipient: address(h.Get("Original-Recipient")),
		RemoteMTA:         mtaName(h.Get("Remote-Mta")),
		LastAttempt:       parseDate(h.Get("Last-Attempt-Date")),
		WillRetryUntil:    parseDate(h.Get("Will-Retry-Until")),
	}
	if d := h.Get("Diagnostic-Code"); d != "" {
		rr.DiagnosticCode = typed(d, "smtp")
	}
	where := "recipient group " + strconv.Itoa(n)
	if rr.FinalRecipient == "" {
		return rr, newParseError("delivery-status", where, "missing Final-Recipient")
	}
	action := stripComment(h.Get("Action"))
	rr.Action = Action(strings.ToLower(action))
	if !rr.Action.Valid() {
		return rr, newParseError("delivery-status", action, where+": bad or missing Action")
	}
	st, err := ParseStatus(stripComment(h.Get("Status")))
	if err != nil {
		pe := newParseError("delivery-status", where, "bad or missing Status")
		pe.Err = err
		return rr, pe
	}
	rr.Status = st
	return rr, nil
}

// address normalises "rfc822; <bob@x>" to "rfc822;bob@x"; "" stays "".
func address(v string) string {
	t, a := SplitTyped(v)
	if a == "" {
		return ""
	}
	if t == "" {
		t = "rfc822"
	}
	if len(a) > 1 && a[0] == '<' && a[len(a)-1] == '>' {
		a = a[1 : len(a)-1]
	}
	return t + ";" + a
}

// mtaName returns the bare name for dns-typed MTAs, "type; name" otherwise.
func mtaName(v string) string {
	t, name := SplitTyped(v)
	if t == "" || strings.EqualFold(t, "dns") || name == "" {
		return name
	}
	return t + "; " + name
}

// stripComment removes a trailing RFC 5322 comment, "5.1.1 (unknown)".
func stripComment(v string) string {
	if i := strings.IndexByte(v, '('); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

func parseDate(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := mail.ParseDate(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Parse reads a DSN message: a multipart/report with a message/delivery-
// status (or message/global-delivery-status) part, and returns its Report.
// Other parts are skipped without buffering. Messages of another type give
// a *ParseError wrapping ErrNotDSN.
func Parse(r io.Reader) (*Report, error) {
	lr := &io.LimitedReader{R: r, N: maxTopHeader}
	br := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		pe := newParseError("message", "", "malformed header")
		pe.Err = err
		return nil, pe
	}
	lr.N = 1<<63 - 1 // header read; the body is streamed part by part
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["boundary"] == "" {
		return nil, notDSN(h.Get("Content-Type"), "want multipart/report")
	}
	if rt := params["report-type"]; !strings.EqualFold(rt, "delivery-status") {
		return nil, notDSN(rt, "report-type is not delivery-status")
	}
	mr := multipart.NewReader(br, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, notDSN("", "no delivery-status part")
		}
		if err != nil {
			pe := newParseError("message", "", "bad multipart body")
			pe.Err = err
			return nil, pe
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ct != "message/delivery-status" && ct != "message/global-delivery-status" {
			continue
		}
		var body io.Reader = p
		if strings.EqualFold(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		return ParseDeliveryStatus(body)
	}
}

func notDSN(input, msg string) error {
	pe := newParseError("message", input, msg)
	pe.Err = ErrNotDSN
	return pe
}
