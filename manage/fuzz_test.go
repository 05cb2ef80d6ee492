package manage_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
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

// Any query string to any cmdlet is answered without a 5xx or a panic,
// with JSON (or, for a successful Export-Message, the message).
func FuzzAPI(f *testing.F) {
	q, err := queue.OpenMemory(queue.WithRouter(queue.RouterFunc(route)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { q.Close(context.Background()) })
	id, err := q.Enqueue(context.Background(), queue.Envelope{From: "a@contoso.com", Recipients: []queue.Recipient{{Address: "b@fabrikam.com"}}},
		strings.NewReader("Subject: x\r\n\r\nx\r\n"))
	if err != nil {
		f.Fatal(err)
	}
	h, err := manage.New(manage.WithServerName("HubA"), manage.WithToken(testToken), manage.WithQueue(q))
	if err != nil {
		f.Fatal(err)
	}
	for i, c := range manage.Cmdlets {
		f.Add(c, "Identity="+url.QueryEscape(`HubA\1\`+string(id)), i%2 == 0)
		f.Add(c, "Identity=HubA%5C1&Status=Retry&Filter=MessageCount+-gt+0", i%2 == 1)
	}
	f.Fuzz(func(t *testing.T, cmdlet, query string, post bool) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		req := httptest.NewRequest(method, "/api/x", nil)
		req.URL.Path, req.URL.RawQuery = "/api/"+cmdlet, query
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s: %d %s", method, cmdlet, query, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "message/rfc822" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s?%s: %d, not JSON: %q", method, cmdlet, query, rec.Code, rec.Body)
		}
	})
}
