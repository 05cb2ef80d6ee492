package tlsrpt_test

import (
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/tlsrpt"
)

func FuzzParseRUA(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com")
	f.Add("v=TLSRPTv1;rua=,;rua=https:")
	f.Fuzz(func(t *testing.T, s string) {
		uris, err := tlsrpt.ParseRUA(s)
		if err != nil {
			return
		}
		for _, u := range uris {
			if !strings.HasPrefix(u, "mailto:") && !strings.HasPrefix(u, "https:") {
				t.Fatalf("ParseRUA(%q) returned %q", s, u)
			}
		}
	})
}

// FuzzMailerRecord feeds arbitrary "_smtp._tls" records to a Mailer:
// it never panics and only ever mails single, valid addresses.
func FuzzMailerRecord(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com,mailto:a%40b@c.d?x=y")
	f.Add("v=TLSRPTv1;rua=mailto:,mailto:%zz,mailto:<a@b>")
	f.Add(`v=TLSRPTv1;rua=mailto:"a b"@c.d`)
	rec := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com")
	rec.Success(tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: "fabrikam.com"})
	reports := rec.Reports(time.Now())
	f.Fuzz(func(t *testing.T, record string) {
		m := &tlsrpt.Mailer{From: "tlsrpt@contoso.com", Submitter: "contoso.com",
			LookupTXT: func(context.Context, string) ([]string, error) { return []string{record}, nil },
			Submit: func(_ context.Context, _ string, to []string, msg []byte) error {
				for _, a := range to {
					if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
						t.Fatalf("record %q: mailed to %q", record, a)
					}
				}
				return nil
			}}
		_, _ = m.Send(context.Background(), reports)
	})
}
