package manage_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/tracking"
)

func TestGetMessageTrackingLog(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	l := trackingLog(t, tracking.WithClock(func() time.Time { return t0 }))
	for i, ev := range []tracking.EventID{tracking.Receive, tracking.Defer, tracking.Send} {
		l.Track(tracking.Record{Time: t0.Add(time.Duration(i) * time.Minute), EventID: ev, Source: tracking.SourceSMTP,
			InternalMessageID: "06H3230101ERA9AYWXWC16QR70", MessageID: "<1@contoso.com>", Sender: "alice@contoso.com",
			Recipients: []string{"bob@fabrikam.com"}, MessageSubject: "hello"})
	}
	l.Track(tracking.Record{Time: t0, EventID: tracking.Fail, Source: tracking.SourceSMTP, MessageID: "<2@contoso.com>",
		Sender: "carol@contoso.com", Recipients: []string{"dave@fabrikam.com"}, RecipientStatus: []string{"550 5.1.1 unknown"}})
	f := newFixture(t, manage.WithTracking(l))
	tests := []struct {
		params url.Values
		want   []string // EventIds, in order
	}{
		{url.Values{"MessageId": {"1@contoso.com"}}, []string{"RECEIVE", "DEFER", "SEND"}},
		{url.Values{"Recipients": {"nobody@x.example, bob@fabrikam.com"}, "EventId": {"defer"}}, []string{"DEFER"}},
		{url.Values{"Sender": {"carol@contoso.com"}}, []string{"FAIL"}},
		{url.Values{"Start": {"2026-12-01T10:01:00Z"}, "End": {"2026-12-01T10:02:00Z"}}, []string{"DEFER"}},
		{url.Values{"ResultSize": {"2"}}, []string{"RECEIVE", "DEFER"}},
		{url.Values{"Start": {"2026-12-02"}}, nil},
	}
	for _, tt := range tests {
		code, body := f.do(t, "GET", "Get-MessageTrackingLog", tt.params)
		if code != 200 {
			t.Fatalf("%v: %d %s", tt.params, code, body)
		}
		var got []string
		for _, r := range decode[manage.TrackingView](t, body) {
			got = append(got, r.EventId)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%v: %v, want %v", tt.params, got, tt.want)
		}
	}
}

// A bad -EventId, -Source or -ResultSize is a 400 with a JSON error saying what is
// accepted, not an empty answer that looks like an empty log.
func TestTrackingBadInput(t *testing.T) {
	f := newFixture(t, manage.WithTracking(trackingLog(t)))
	const events = "RECEIVE, SEND, DELIVER, DEFER, FAIL, DSN, POISONMESSAGE, RESUBMIT, REDIRECT, EXPAND, RESOLVE, TRANSFER, BADMAIL"
	const size = "invalid: must be a positive integer up to 250000, or Unlimited"
	tests := []struct {
		cmdlet string
		params url.Values
		code   int
		err    string // the JSON error, exactly; "" for 200
	}{
		{"Get-MessageTrackingLog", url.Values{"EventId": {"NOPE"}}, 400, `-EventId "NOPE": not an event ID (one of ` + events + `)`},
		{"Get-MessageTrackingLog", url.Values{"EventId": {"RECEIVE "}}, 400, `-EventId "RECEIVE ": not an event ID (one of ` + events + `)`},
		{"Get-MessageTrackingLog", url.Values{"EventId": {"badmail"}}, 200, ""},
		{"Get-MessageTrackingLog", url.Values{"EventId": {"PoisonMessage"}}, 200, ""},
		{"Get-MessageTrackingLog", url.Values{"EventId": {""}}, 200, ""},
		{"Get-MessageTrackingLog", url.Values{"Source": {"SMTPX"}}, 400, `-Source "SMTPX": not a source (one of SMTP, STOREDRIVER, QUEUE, ROUTING, DNS, DSN, ADMIN, AGENT, PICKUP)`},
		{"Get-MessageTrackingLog", url.Values{"Source": {"storedriver"}}, 200, ""},
		{"Get-MessageTrackingLog", url.Values{"ResultSize": {"-5"}}, 400, `-ResultSize "-5": ` + size},
		{"Get-MessageTrackingLog", url.Values{"ResultSize": {"0"}}, 400, `-ResultSize "0": ` + size},
		{"Get-MessageTrackingLog", url.Values{"ResultSize": {"unlimited"}}, 200, ""},
		{"Get-Message", url.Values{"ResultSize": {"-5"}}, 400, `-ResultSize "-5": ` + size},
		{"Get-Message", url.Values{"ResultSize": {"many"}}, 400, `-ResultSize "many": ` + size},
		{"Get-Message", url.Values{"ResultSize": {"5"}}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.cmdlet+" "+tt.params.Encode(), func(t *testing.T) {
			code, body := f.do(t, "GET", tt.cmdlet, tt.params)
			var e struct{ Error string }
			if code != tt.code || tt.err != "" && (json.Unmarshal([]byte(body), &e) != nil || e.Error != tt.err) {
				t.Errorf("%d %s; want %d %q", code, body, tt.code, tt.err)
			}
		})
	}
}

// A POST body that is not form-encoded is refused with a JSON error that
// says how parameters go, not run as a cmdlet without them; a repeated
// parameter shows every value given.
func TestAPIBodyEncoding(t *testing.T) {
	f := newFixture(t)
	const how = "parameters go in the query string or in an application/x-www-form-urlencoded body (Identity=HUB01%5C1), not "
	tests := []struct {
		name, ct, body string
		code           int
		err            string
	}{
		{"JSON", "application/json", `{"Identity":"HubA\\1"}`, 415, how + "application/json"},
		{"text", "text/plain; charset=utf-8", "Identity=HubA%5C1", 415, how + "text/plain; charset=utf-8"},
		{"JSON sent as a form", "application/x-www-form-urlencoded", `{"Identity":"x"}`, 400,
			`-{"Identity":"x"} "": unknown parameter: parameters are form-encoded (Identity=HUB01%5C1), not JSON`},
		{"repeated", "application/x-www-form-urlencoded", "Identity=HubA%5C1&Identity=HubA%5C2", 400,
			`-Identity "HubA\\1, HubA\\2": given more than once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := f.doBody(t, "POST", "Retry-Queue", tt.ct, strings.NewReader(tt.body))
			var e struct{ Error string }
			if code != tt.code || json.Unmarshal([]byte(body), &e) != nil || e.Error != tt.err {
				t.Errorf("%d %s; want %d %q", code, body, tt.code, tt.err)
			}
		})
	}
}
