package tlsrpt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/hubedge/hubedge/tlsrpt"
)

func ExampleRecorder() {
	day := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	rec := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com").WithClock(func() time.Time { return day })
	p := tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: "fabrikam.com"}
	rec.Success(p)
	rec.Failure(p, tlsrpt.Failure{ResultType: tlsrpt.ResultValidationFailure, ReceivingMX: "mx1.fabrikam.com"})
	for _, r := range rec.Reports(day) {
		b, _ := json.Marshal(r.Policies)
		fmt.Println(r.DateRange.Start.Format(time.DateOnly), string(b))
	}
	// Output:
	// 2026-12-06 [{"policy":{"policy-type":"tlsa","policy-domain":"fabrikam.com"},"summary":{"total-successful-session-count":1,"total-failure-session-count":1},"failure-details":[{"result-type":"validation-failure","receiving-mx-hostname":"mx1.fabrikam.com","failed-session-count":1}]}]
}

// ExampleMailer sends the reports of the days that have ended to the rua
// of fabrikam.com's "_smtp._tls" record; here the TXT lookup and the
// submission are stand-ins for a resolver and a queue.
func ExampleMailer() {
	day := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	now := day
	rec := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com").WithClock(func() time.Time { return now })
	rec.Failure(tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: "fabrikam.com"},
		tlsrpt.Failure{ResultType: tlsrpt.ResultValidationFailure, ReceivingMX: "mx1.fabrikam.com"})
	now = day.Add(24 * time.Hour)

	m := &tlsrpt.Mailer{From: "tlsrpt-noreply@contoso.com", Submitter: "contoso.com", Now: func() time.Time { return now },
		LookupTXT: func(context.Context, string) ([]string, error) {
			return []string{"v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com"}, nil
		},
		Submit: func(_ context.Context, from string, to []string, msg []byte) error {
			parsed, _ := mail.ReadMessage(bytes.NewReader(msg))
			fmt.Println(from, "->", to)
			fmt.Println("TLS-Report-Domain:", parsed.Header.Get("TLS-Report-Domain"))
			fmt.Println("Subject:", strings.Split(parsed.Header.Get("Subject"), " Report-ID:")[0])
			return nil
		}}
	sent, err := m.Send(context.Background(), rec.TakeDue())
	fmt.Println(sent, err)
	// Output:
	// tlsrpt-noreply@contoso.com -> [tlsrpt@fabrikam.com]
	// TLS-Report-Domain: fabrikam.com
	// Subject: Report Domain: fabrikam.com Submitter: contoso.com
	// [fabrikam.com mailto:tlsrpt@fabrikam.com] <nil>
}
