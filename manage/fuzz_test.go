package manage_test

import (
	"net/url"
	"testing"

	"github.com/hubedge/hubedge/manage"
)

// Identities parse or fail with an error, never panic, and what parses
// prints back as it was given.
func FuzzParseIdentity(f *testing.F) {
	for _, s := range []string{`HubA\3`, `HubA\Submission`, `Poison`, `HubA\*\06H3230101ERA9AYWXWC16QR70`,
		`06h3230101era9aywxwc16qr70`, `HubA\fabrikam.com\06H3230101ERA9AYWXWC16QR70`, `\\`, `a\b\c\d`, "x\x00y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if q, err := manage.ParseQueueIdentity(s); err == nil {
			if q.String() != s {
				t.Errorf("queue identity %q prints as %q", s, q)
			}
			if again, err := manage.ParseQueueIdentity(q.String()); err != nil || again != q {
				t.Errorf("queue identity %q: reparsed %+v, %v", s, again, err)
			}
		}
		if m, err := manage.ParseMessageIdentity(s); err == nil {
			if again, err := manage.ParseMessageIdentity(m.String()); err != nil || again != m {
				t.Errorf("message identity %q: reparsed %+v, %v", s, again, err)
			}
		}
	})
}

// Filters parse or fail; a parsed filter evaluates against any values.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`{MessageCount -gt 100}`, `Status -eq 'Retry' -and NextHopDomain -like '*.com'`,
		`{`, `MessageCount -gt`, `"a" -eq "b"`, `Status -notlike "*"`, `Status -eq '' -and`} {
		f.Add(s, "42")
	}
	props := []string{"Status", "MessageCount", "NextHopDomain"}
	f.Fuzz(func(t *testing.T, s, v string) {
		e, err := manage.ParseFilter(s, props)
		if err != nil {
			return
		}
		e.Match(func(string) string { return v })
	})
}

// Get-MessageTrackingLog and status parameters parse or fail with an
// *InputError.
func FuzzParseParams(f *testing.F) {
	f.Add("Start", "2026-01-02", "ResultSize", "Unlimited")
	f.Add("End", "2026-01-02T03:04:05Z", "Recipients", "a@b, c@d")
	f.Add("EventId", "fail", "Nope", "x")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		q, err := manage.ParseTrackingQuery(url.Values{k1: {v1}, k2: {v2}})
		if err == nil && (q.ResultSize < 1 || !q.End.IsZero() && q.End.Before(q.Start)) {
			t.Errorf("%s=%q %s=%q: query %+v", k1, v1, k2, v2, q)
		}
		manage.ParseQueueStatus(v1)
		manage.ParseMessageStatus(v2)
	})
}
