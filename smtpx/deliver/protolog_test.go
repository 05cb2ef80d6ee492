package deliver_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// syncBuffer is a bytes.Buffer safe for the log's flusher.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProtocolLogVerboseSendConnector(t *testing.T) {
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.WithPKI(pki, "mail.fabrikam.com"), smtptest.RequireTLS(), smtptest.RequireAuth("svc", "s3cret"))
	host, dns := smartHostByName(t, sink)
	for _, level := range []connector.ProtocolLoggingLevel{connector.ProtocolLoggingVerbose, connector.ProtocolLoggingNone} {
		t.Run(level.String(), func(t *testing.T) {
			sc := smtptest.SendConnector(t, "Outbound", connector.UsageCustom, "*", func(c *connector.SendConfig) {
				c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(host)}
				c.DNSRoutingEnabled = false
				c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
				c.AuthenticationCredential = connector.Credential{UserName: "svc", Password: "s3cret"}
				c.ProtocolLoggingLevel = level
			})
			var out syncBuffer
			plog := protolog.New(&out, protolog.WithType(protolog.Send))
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)),
				deliver.WithRootCAs(pki.Pool()), deliver.WithProtocolLog(plog))
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
			if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			if err := d.Close(); err != nil { // closes the pooled session
				t.Fatal(err)
			}
			if err := plog.Close(); err != nil {
				t.Fatal(err)
			}
			if level == connector.ProtocolLoggingNone {
				if out.String() != "" {
					t.Fatalf("None connector logged:\n%s", out.String())
				}
				return
			}
			recs, err := protolog.Parse(strings.NewReader(out.String()))
			if err != nil {
				t.Fatal(err)
			}
			checkSendLog(t, recs, out.String())
		})
	}
}

// checkSendLog asserts the conversation of one delivery over STARTTLS
// with AUTH PLAIN, as a send log shows it.
func checkSendLog(t *testing.T, recs []protolog.Record, raw string) {
	t.Helper()
	var lines []string
	for i, r := range recs {
		if r.Sequence != i || r.ConnectorID != "Outbound" || r.SessionID != recs[0].SessionID {
			t.Errorf("record %d: %+v", i, r)
		}
		lines = append(lines, r.Event.String()+" "+r.Data+"|"+r.Context)
	}
	got := strings.Join(lines, "\n")
	want := []string{
		"+ |", "< 220 ", "> EHLO hub1.contoso.com|", "< 250 ", "STARTTLS", "> STARTTLS|", "< 220 2.0.0 Ready to start TLS|",
		"* TLS 1.3 ", "TLS negotiation succeeded", "> EHLO hub1.contoso.com|", "AUTH PLAIN",
		"> AUTH PLAIN " + protolog.AuthResponse + "|", "< 235 ", "> MAIL FROM:<alice@contoso.com>",
		"> RCPT TO:<bob@fabrikam.com>", "< 250 ", "> DATA|", "< 354 ", "< 250 2.0.0 OK: queued|", "> QUIT|", "< 221 ", "- |Local",
	}
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("log lacks %q after the previous expectations:\n%s", w, got)
		}
		rest = rest[i+len(w):]
	}
	for _, secret := range []string{"s3cret", "AHN2YwBzM2NyZXQ", "Subject: hello", "body line"} {
		if strings.Contains(raw, secret) {
			t.Fatalf("log contains %q:\n%s", secret, raw)
		}
	}
}
