package dsn

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is the content of a message/delivery-status body (RFC 3464 §2.2,
// §2.3): the per-message fields and one RecipientReport per recipient.
type Report struct {
	// ReportingMTA is the MTA issuing the report: a host name (type dns)
	// or "type; name". Required.
	ReportingMTA string
	// ReceivedFromMTA is the MTA the message was received from, same form.
	ReceivedFromMTA string
	// EnvID is the decoded ENVID of the original transaction
	// (Original-Envelope-Id).
	EnvID string
	// ArrivalDate is when the reporting MTA received the message.
	ArrivalDate time.Time
	// Recipients holds at least one report.
	Recipients []RecipientReport
}

// RecipientReport holds the per-recipient fields of RFC 3464 §2.3.
type RecipientReport struct {
	// FinalRecipient is the address the MTA tried, "rfc822;addr" (a bare
	// address is written as rfc822). Required.
	FinalRecipient string
	// OriginalRecipient is the decoded ORCPT, "rfc822;addr"; optional.
	OriginalRecipient string
	// Action is what happened. Required.
	Action Action
	// Status is the enhanced status code. Required.
	Status Status
	// RemoteMTA is the host that gave DiagnosticCode: a host name (type
	// dns) or "type; name".
	RemoteMTA string
	// DiagnosticCode is the remote reply, "smtp; 550 5.1.1 User unknown"
	// (a value without type is written as smtp).
	DiagnosticCode string
	// LastAttempt is when delivery was last tried.
	LastAttempt time.Time
	// WillRetryUntil is, for delayed recipients, when the MTA gives up.
	WillRetryUntil time.Time
}

// SplitTyped splits a typed value such as "rfc822;bob@example.com" or
// "smtp; 550 ..." into its type and value, trimming spaces. A value with no
// valid type prefix is returned whole with typ "".
func SplitTyped(s string) (typ, value string) {
	t, v, ok := strings.Cut(s, ";")
	t = strings.TrimSpace(t)
	if !ok || !isAtom(t) {
		return "", strings.TrimSpace(s)
	}
	return t, strings.TrimSpace(v)
}

// typed renders v as "type; value", defaulting the type.
func typed(v, defType string) string {
	t, val := SplitTyped(v)
	if t == "" {
		t = defType
	}
	return t + "; " + val
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(dateLayout)
}

// isGlobal reports whether any value needs RFC 6533
// message/global-delivery-status (UTF-8 content).
func (r *Report) isGlobal() bool {
	vals := []string{r.ReportingMTA, r.ReceivedFromMTA, r.EnvID}
	for _, rr := range r.Recipients {
		vals = append(vals, rr.FinalRecipient, rr.OriginalRecipient, rr.RemoteMTA, rr.DiagnosticCode)
	}
	for _, v := range vals {
		if !isASCII(v) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validate checks the required fields.
func (r *Report) validate() error {
	if strings.TrimSpace(r.ReportingMTA) == "" {
		return fmt.Errorf("%w: Reporting-MTA is required", ErrInvalid)
	}
	if len(r.Recipients) == 0 {
		return fmt.Errorf("%w: no recipients", ErrInvalid)
	}
	for i, rr := range r.Recipients {
		switch {
		case strings.TrimSpace(rr.FinalRecipient) == "":
			return fmt.Errorf("%w: recipient %d: Final-Recipient is required", ErrInvalid, i)
		case !rr.Action.Valid():
			return fmt.Errorf("%w: recipient %d: bad Action %q", ErrInvalid, i, rr.Action)
		case !rr.Status.Valid():
			return fmt.Errorf("%w: recipient %d: bad Status %v", ErrInvalid, i, rr.Status)
		}
	}
	return nil
}

// fieldList accumulates header fields, skipping empty values and keeping
// the first error.
type fieldList struct {
	b   bytes.Buffer
	err error
}

func (f *fieldList) add(k, v string) {
	if f.err == nil && v != "" {
		f.err = writeField(&f.b, k, v)
	}
}

// render produces the delivery-status body.
func (r *Report) render() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	var f fieldList
	f.add("Original-Envelope-Id", r.EnvID)
	f.add("Reporting-MTA", typed(r.ReportingMTA, "dns"))
	if r.ReceivedFromMTA != "" {
		f.add("Received-From-MTA", typed(r.ReceivedFromMTA, "dns"))
	}
	f.add("Arrival-Date", formatDate(r.ArrivalDate))
	for _, rr := range r.Recipients {
		f.b.WriteString("\r\n")
		if rr.OriginalRecipient != "" {
			f.add("Original-Recipient", typed(rr.OriginalRecipient, "rfc822"))
		}
		f.add("Final-Recipient", typed(rr.FinalRecipient, "rfc822"))
		f.add("Action", string(rr.Action))
		f.add("Status", rr.Status.String())
		if rr.RemoteMTA != "" {
			f.add("Remote-MTA", typed(rr.RemoteMTA, "dns"))
		}
		if rr.DiagnosticCode != "" {
			f.add("Diagnostic-Code", typed(rr.DiagnosticCode, "smtp"))
		}
		f.add("Last-Attempt-Date", formatDate(rr.LastAttempt))
		f.add("Will-Retry-Until", formatDate(rr.WillRetryUntil))
	}
	return f.b.Bytes(), f.err
}

// WriteTo writes the report as a message/delivery-status body (CRLF lines,
// groups separated by blank lines). Invalid reports give an error wrapping
// ErrInvalid before anything is written.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	b, err := r.render()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}
