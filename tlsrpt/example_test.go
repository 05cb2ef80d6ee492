package tlsrpt_test

import (
	"encoding/json"
	"fmt"
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
