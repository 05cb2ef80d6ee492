package dsn

import (
	"strings"
)

// sections orders the human-readable part and gives each action's heading.
var sections = []struct {
	action  Action
	heading string
}{
	{Failed, "Delivery has failed to these recipients or groups:"},
	{Delayed, "Delivery to these recipients or groups is delayed. The server will keep trying; you don't need to resend the message yet:"},
	{Delivered, "Your message was delivered to these recipients:"},
	{Relayed, "Your message was relayed to these recipients, which may not send further notifications:"},
	{Expanded, "Your message was delivered to these groups, which were expanded:"},
}

// subjectPrefix returns the default Subject prefix for the most important
// action present: failures before delays before successes.
func subjectPrefix(r *Report) string {
	prefixes := map[Action]string{
		Failed: "Undeliverable", Delayed: "Delivery delayed",
		Delivered: "Delivered", Relayed: "Relayed", Expanded: "Expanded",
	}
	for _, s := range sections {
		for _, rr := range r.Recipients {
			if rr.Action == s.action {
				return prefixes[s.action]
			}
		}
	}
	return "Delivery status notification"
}

// humanText renders the text/plain part: one line per recipient with its
// status and diagnostic, grouped by action, then the administrator block
// Exchange NDRs carry. Lines end in "\n"; the caller converts.
func humanText(n *Notification, original string) string {
	r := &n.Report
	var b strings.Builder
	_, host := SplitTyped(r.ReportingMTA)
	b.WriteString("This is an automatically generated delivery status notification from " + host + ".\n")
	for _, s := range sections {
		first := true
		for _, rr := range r.Recipients {
			if rr.Action != s.action {
				continue
			}
			if first {
				b.WriteString("\n" + s.heading + "\n\n")
				first = false
			}
			b.WriteString("  " + recipientLine(&rr) + "\n")
		}
	}
	b.WriteString("\nDiagnostic information for administrators:\n\n")
	b.WriteString("Generating server: " + host + "\n")
	if r.ReceivedFromMTA != "" {
		_, from := SplitTyped(r.ReceivedFromMTA)
		b.WriteString("Received from: " + from + "\n")
	}
	if !r.ArrivalDate.IsZero() {
		b.WriteString("Arrival date: " + formatDate(r.ArrivalDate) + "\n")
	}
	if r.EnvID != "" {
		b.WriteString("Envelope ID: " + r.EnvID + "\n")
	}
	b.WriteString("Original message: " + original + "\n")
	return b.String()
}

// recipientLine is "addr: status text", the text being the remote reply
// when there is one and the code's meaning otherwise.
func recipientLine(rr *RecipientReport) string {
	_, addr := SplitTyped(rr.FinalRecipient)
	line := addr + ": " + rr.Status.String() + " "
	_, diag := SplitTyped(rr.DiagnosticCode)
	switch {
	case diag != "" && rr.RemoteMTA != "":
		_, mta := SplitTyped(rr.RemoteMTA)
		line += "remote server " + mta + " said: " + diag
	case diag != "":
		line += diag
	case rr.Status.Success():
		line += "delivery succeeded"
	default:
		line += rr.Status.text()
	}
	if !rr.WillRetryUntil.IsZero() {
		line += " (will retry until " + formatDate(rr.WillRetryUntil) + ")"
	}
	return line
}
