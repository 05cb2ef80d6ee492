package tlsrpt

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// MediaType is the media type of a gzip-compressed report (RFC 8460
// §6.4), for mail attachments and HTTPS posts alike.
const MediaType = "application/tlsrpt+gzip"

// ErrNoRecord reports that a policy domain publishes no usable
// "_smtp._tls" record, so its reports go nowhere.
var ErrNoRecord = errors.New("tlsrpt: no TLSRPTv1 record")

// Mailer sends reports to the rua URIs of their policy domains (RFC 8460
// §3): by mail to each mailto: address, in one message per report, and
// by HTTPS POST to each https: URI. Set the fields before the first Send;
// it is safe for concurrent use afterwards.
type Mailer struct {
	// From is the reports' From address and envelope sender, for example
	// "tlsrpt-noreply@contoso.com". Required for mailto: URIs.
	From string
	// Submitter is the domain name of the reporting organization (the
	// TLS-Report-Submitter field, the sender part of file names).
	Submitter string
	// LookupTXT returns the TXT records of a name (mx.Resolver.LookupTXT).
	// Required.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// Submit hands a report message for the recipients to the mail
	// system, a queue's Enqueue say; nil skips mailto: URIs. The message
	// should be DKIM-signed on its way out (RFC 8460 §5.3), which a send
	// connector with DKIM signing does.
	Submit func(ctx context.Context, from string, to []string, msg []byte) error
	// HTTP posts to https: URIs; nil skips them.
	HTTP *http.Client
	// Now dates the messages. Default time.Now.
	Now func() time.Time
}

// Send delivers each report to the rua URIs of its policy domain and
// returns the URIs reached, as "domain uri", and the failures, joined; a
// domain without a record is an ErrNoRecord failure, and one report's
// failures do not stop the others.
func (m *Mailer) Send(ctx context.Context, reports []Report) ([]string, error) {
	var sent []string
	var errs []error
	for _, rep := range reports {
		ok, err := m.send(ctx, rep)
		for _, u := range ok {
			sent = append(sent, rep.Domain()+" "+u)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("tlsrpt: report for %s: %w", rep.Domain(), err))
		}
	}
	return sent, errors.Join(errs...)
}

func (m *Mailer) send(ctx context.Context, rep Report) ([]string, error) {
	uris, err := m.rua(ctx, rep.Domain())
	if err != nil {
		return nil, err
	}
	var mailto, sent []string
	var errs []error
	var gz []byte
	for _, u := range uris {
		if addr, ok := strings.CutPrefix(u, "mailto:"); ok {
			if a, err := mailtoAddress(addr); err != nil {
				errs = append(errs, err)
			} else if m.Submit != nil {
				mailto = append(mailto, a)
			}
			continue
		}
		if m.HTTP == nil {
			continue
		}
		if gz == nil {
			if gz, err = Gzip(rep); err != nil {
				return nil, err
			}
		}
		if err := m.post(ctx, u, gz); err != nil {
			errs = append(errs, err)
			continue
		}
		sent = append(sent, u)
	}
	if len(mailto) > 0 {
		msg, err := Message(rep, m.From, mailto, m.Submitter, m.now())
		if err == nil {
			err = m.Submit(ctx, m.From, mailto, msg)
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			for _, a := range mailto {
				sent = append(sent, "mailto:"+a)
			}
		}
	}
	return sent, errors.Join(errs...)
}

func (m *Mailer) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}

// rua returns the rua URIs of domain's single TLSRPTv1 record: RFC 8460
// §3 discards TXT records of other versions and, unless exactly one is
// left, treats the domain as not asking for reports.
func (m *Mailer) rua(ctx context.Context, domain string) ([]string, error) {
	txts, err := m.LookupTXT(ctx, "_smtp._tls."+domain)
	if err != nil {
		return nil, fmt.Errorf("tlsrpt: looking up _smtp._tls.%s: %w", domain, err)
	}
	var recs []string
	for _, t := range txts {
		if v, _, _ := strings.Cut(t, ";"); strings.TrimSpace(v) == "v=TLSRPTv1" {
			recs = append(recs, t)
		}
	}
	if len(recs) != 1 {
		return nil, fmt.Errorf("%w at _smtp._tls.%s (%d found)", ErrNoRecord, domain, len(recs))
	}
	return ParseRUA(recs[0])
}

// mailtoAddress reads the address of a mailto: URI's body (RFC 6068):
// percent-decoded, without "?" header fields, a single addr-spec.
func mailtoAddress(body string) (string, error) {
	to, _, _ := strings.Cut(body, "?")
	dec, err := url.PathUnescape(to)
	if err != nil {
		return "", fmt.Errorf("tlsrpt: mailto:%s: %w", body, err)
	}
	a, err := mail.ParseAddress(dec)
	if err != nil || a.Name != "" || strings.ContainsAny(dec, "<>,") {
		return "", fmt.Errorf("tlsrpt: mailto:%s is not one address", body)
	}
	// A quoted local part loses its quotes in a.Address; such an address
	// would need quoting again in the envelope and the To field.
	if b, err := mail.ParseAddress(a.Address); err != nil || b.Address != a.Address {
		return "", fmt.Errorf("tlsrpt: mailto:%s: quoted local parts are not supported", body)
	}
	return a.Address, nil
}

func (m *Mailer) post(ctx context.Context, uri string, gz []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(gz))
	if err != nil {
		return fmt.Errorf("tlsrpt: %w", err)
	}
	req.Header.Set("Content-Type", MediaType)
	resp, err := m.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("tlsrpt: posting to %s: %w", uri, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("tlsrpt: posting to %s: HTTP status %s", uri, resp.Status)
	}
	return nil
}

// Gzip returns the report's JSON compressed with gzip, as mailed and
// posted.
func Gzip(rep Report) ([]byte, error) {
	js, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("tlsrpt: %w", err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(js); err != nil {
		return nil, fmt.Errorf("tlsrpt: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("tlsrpt: %w", err)
	}
	return b.Bytes(), nil
}

// Message builds the report mail of RFC 8460 §5.3 from from to to:
// TLS-Report-Domain and TLS-Report-Submitter fields, the Subject
// "Report Domain: <domain> Submitter: <submitter> Report-ID: <<id>>", and
// a multipart/report (report-type "tlsrpt") of a short text part and the
// gzip'd JSON report attached as "<FileName>.json.gz" (MediaType,
// base64). Lines end in CRLF.
func Message(rep Report, from string, to []string, submitter string, date time.Time) ([]byte, error) {
	gz, err := Gzip(rep)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=us-ascii"}})
	if err != nil {
		return nil, fmt.Errorf("tlsrpt: %w", err)
	}
	var ok, failed int64
	for _, p := range rep.Policies {
		ok, failed = ok+p.Summary.Successful, failed+p.Summary.Failed
	}
	fmt.Fprintf(text, "This is an aggregate TLS report (RFC 8460) from %s for mail to %s\r\n"+
		"from %s to %s: %d successful and %d failed TLS sessions.\r\n",
		submitter, rep.Domain(), rep.DateRange.Start.Format(time.RFC3339), rep.DateRange.End.Format(time.RFC3339), ok, failed)
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {MediaType},
		"Content-Transfer-Encoding": {"base64"},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": FileName(submitter, rep) + ".json.gz"})},
	})
	if err != nil {
		return nil, fmt.Errorf("tlsrpt: %w", err)
	}
	enc := base64.StdEncoding.EncodeToString(gz)
	for len(enc) > 76 {
		fmt.Fprintf(att, "%s\r\n", enc[:76])
		enc = enc[76:]
	}
	fmt.Fprintf(att, "%s\r\n", enc)
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("tlsrpt: %w", err)
	}
	var b bytes.Buffer
	field := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	field("From", from)
	field("To", strings.Join(to, ", "))
	field("Date", date.Format(time.RFC1123Z))
	field("Subject", fmt.Sprintf("Report Domain: %s Submitter: %s Report-ID: <%s>", rep.Domain(), submitter, rep.ReportID))
	field("Message-ID", "<"+rep.ReportID+"@"+submitter+">")
	field("TLS-Report-Domain", rep.Domain())
	field("TLS-Report-Submitter", submitter)
	field("MIME-Version", "1.0")
	field("Content-Type", mime.FormatMediaType("multipart/report", map[string]string{"report-type": "tlsrpt", "boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	return b.Bytes(), nil
}
