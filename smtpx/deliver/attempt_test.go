package deliver_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// TestAttemptEvent: every Deliver ends with one EventAttempt naming its hop,
// with its duration and what it returned.
func TestAttemptEvent(t *testing.T) {
	good := smtptest.NewSink(t)
	refusing := smtptest.NewSink(t, smtptest.OnData(func(context.Context, smtptest.Message) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "refused"}
	}))
	down := smtptest.NewSink(t)
	down.Stop()
	tests := []struct {
		name    string
		sink    *smtptest.Sink
		code    int  // of every result
		hopFail bool // no host took the message
	}{
		{"delivered", good, 250, false},
		{"refused after DATA", refusing, 550, false},
		{"no host", down, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(tt.sink))
			rec := &smtptest.Events[deliver.Event]{}
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithTrace(rec.Add))
			hop := deliver.HopFor(sc, "fabrikam.com")
			h := newHarness(t, d, hop)
			res, err := h.send(queue.Envelope{Recipients: rcpts("bob@fabrikam.com", "carol@fabrikam.com")}, testBody)
			attempts := rec.Filter(kindIs(deliver.EventAttempt))
			if len(attempts) != 1 {
				t.Fatalf("%d attempt events, want 1", len(attempts))
			}
			a := attempts[0]
			if a.Hop != hop || a.Elapsed <= 0 || !reflect.DeepEqual(a.Results, res) || !errors.Is(a.Err, err) {
				t.Errorf("attempt event %+v; want hop %v, a positive Elapsed, results %v and error %v", a, hop, res, err)
			}
			var he *deliver.HopError
			switch {
			case tt.hopFail && (!errors.As(a.Err, &he) || a.Results != nil):
				t.Errorf("attempt without a host: err %v, results %v", a.Err, a.Results)
			case !tt.hopFail && (len(a.Results) != 2 || a.Results[0].Code != tt.code || a.Results[1].Code != tt.code):
				t.Errorf("attempt results %+v, want two %d", a.Results, tt.code)
			}
		})
	}
}

// TestSessionEventsNameTheHop: the dial, TLS and AUTH events of a session
// say which hop (and so which send connector) it serves.
func TestSessionEventsNameTheHop(t *testing.T) {
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.WithPKI(pki, "mail.fabrikam.com"), smtptest.RequireTLS(), smtptest.RequireAuth("svc", "s3cret"))
	host, dns := smartHostByName(t, sink)
	sc := smtptest.SendConnector(t, "Auth", connector.UsageCustom, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(host)}
		c.DNSRoutingEnabled = false
		c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		c.AuthenticationCredential = connector.Credential{UserName: "svc", Password: "s3cret"}
	})
	rec := &smtptest.Events[deliver.Event]{}
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)),
		deliver.WithRootCAs(pki.Pool()), deliver.WithTrace(rec.Add))
	hop := deliver.HopFor(sc, "fabrikam.com")
	if res, err := newHarness(t, d, hop).send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	for _, k := range []deliver.EventKind{deliver.EventDial, deliver.EventTLS, deliver.EventAuth} {
		evs := rec.Filter(kindIs(k))
		if len(evs) != 1 || evs[0].Hop != hop {
			t.Errorf("%s events %+v; want one with hop %v", k, evs, hop)
		}
	}
}
