package smtpx_test

import (
	"strings"
	"testing"

	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// Received records the protocol of the client's last greeting (RFC 5321
// §4.4): "with SMTP" after HELO, "with ESMTP" after EHLO, the RFC 3848
// suffixes (S for TLS) for ESMTP only, and "UTF8SMTP[S]" for a message
// sent with SMTPUTF8 (RFC 6531 §3.7.3).
func TestReceivedWithProtocol(t *testing.T) {
	for _, tc := range []struct {
		name   string
		greets []string // "TLS" runs STARTTLS
		want   string
		mail   string // MAIL parameters
	}{
		{"EHLO", []string{"EHLO"}, " with ESMTP id ", ""},
		{"HELO", []string{"HELO"}, " with SMTP id ", ""},
		{"HELO then EHLO", []string{"HELO", "EHLO"}, " with ESMTP id ", ""},
		{"EHLO then HELO", []string{"EHLO", "HELO"}, " with SMTP id ", ""},
		{"EHLO over TLS", []string{"EHLO", "TLS", "EHLO"}, " with ESMTPS id ", ""},
		{"HELO over TLS", []string{"EHLO", "TLS", "HELO"}, " with SMTP id ", ""},
		{"SMTPUTF8", []string{"EHLO"}, " with UTF8SMTP id ", " SMTPUTF8"},
		{"SMTPUTF8 over TLS", []string{"EHLO", "TLS", "EHLO"}, " with UTF8SMTPS id ", " SMTPUTF8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)),
				transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))))
			r, _ := smtptest.Dial(t, e.firstAddr(t))
			for _, g := range tc.greets {
				if g == "TLS" {
					r.StartTLS(testPKI.ClientTLSConfig(serverName))
					continue
				}
				expect(t, r, smtptest.Step{g + " client.example", "250"})
			}
			expect(t, r, smtptest.Step{"MAIL FROM:<a@fabrikam.com>" + tc.mail, "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"})
			if got := r.Data(message("Subject: proto")); !strings.HasPrefix(got, "250 2.6.0") {
				t.Fatal(got)
			}
			body := e.local.Wait(t).Body
			if !strings.Contains(body, "\tby hub01.contoso.com"+tc.want) {
				t.Fatalf("want %q in\n%s", tc.want, body)
			}
		})
	}
}
