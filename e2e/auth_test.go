package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// submission is a Client-like connector: STARTTLS, then AUTH PLAIN LOGIN.
func submission(t *testing.T, opts ...func(*connector.ReceiveConfig)) (*transport.Transport, string) {
	t.Helper()
	base := func(c *connector.ReceiveConfig) {
		c.TarpitInterval, c.PermissionGroups, c.AuthMechanism = tarpit, perms.ExchangeUsers, mechBasicTLS
	}
	rc := smtptest.CustomConnector(t, "Client", append([]func(*connector.ReceiveConfig){base}, opts...)...)
	tr, _ := startTransport(t, transport.WithReceiveConnector(rc), transport.WithServerOptions(smtpx.WithAuthenticator(users())),
		transport.WithServerOptions(smtpx.WithTLSCertificate(pki.Certificate(serverName))))
	return tr, addr(t, tr, rc.Name())
}

// Under BasicAuthRequireTLS, AUTH is neither advertised nor accepted before
// STARTTLS (RFC 4954 §6: 538 5.7.11), and is advertised once TLS is up.
func TestAuthNeverBeforeTLS(t *testing.T) {
	_, a := submission(t)
	r, _ := smtptest.Dial(t, a)
	ehlo := r.Cmd("EHLO client.example")
	if !strings.HasPrefix(ehlo, "250 ") || strings.Contains(ehlo, "AUTH") || !strings.Contains(ehlo, "\nSTARTTLS") {
		t.Errorf("EHLO before TLS:\n%s", ehlo)
	}
	for _, cmd := range []string{"AUTH PLAIN " + plainAuth("alice", "secret"), "AUTH LOGIN", "AUTH PLAIN"} {
		if got := r.Cmd(cmd); !strings.HasPrefix(got, "538 5.7.11") {
			t.Errorf("%s before TLS: %q", cmd, got)
		}
	}
	if got := r.Cmd("MAIL FROM:<alice@contoso.com>"); !strings.HasPrefix(got, "530 5.7.1") {
		t.Errorf("MAIL without AUTH: %q", got)
	}
	r.StartTLS(pki.ClientTLSConfig(serverName))
	ehlo = r.Cmd("EHLO client.example")
	if !strings.Contains(ehlo, "\nAUTH PLAIN LOGIN") || strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO after TLS:\n%s", ehlo)
	}
	smtptest.Expect(t, r, smtptest.Step{"AUTH PLAIN " + plainAuth("alice", "secret"), "235 "},
		smtptest.Step{"MAIL FROM:<alice@contoso.com>", "250"})
}

// Wrong passwords get 535 5.7.8, each tarpitted; at MaxLogonFailures the
// refusal is the last reply and the connection is closed. The limit is per
// session: another client still logs in.
func TestBruteForceIsTarpittedAndDisconnected(t *testing.T) {
	const limit = 3
	_, a := submission(t, func(c *connector.ReceiveConfig) { c.MaxLogonFailures, c.MaxProtocolErrors = limit, 100 })
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"})
	r.StartTLS(pki.ClientTLSConfig(serverName))
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"})
	for i := range limit {
		start := time.Now()
		got := r.Cmd("AUTH PLAIN " + plainAuth("alice", "guess"+string(rune('a'+i))))
		if !strings.HasPrefix(got, "535 5.7.8") {
			t.Fatalf("attempt %d: %q", i+1, got)
		}
		if d := time.Since(start); d < tarpit {
			t.Errorf("attempt %d answered in %v, not tarpitted", i+1, d)
		}
	}
	if !r.Closed(closeWait) {
		t.Fatal("connection still open after MaxLogonFailures")
	}

	// AUTH LOGIN guesses count the same way.
	r2, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r2, smtptest.Step{"EHLO client.example", "250"})
	r2.StartTLS(pki.ClientTLSConfig(serverName))
	smtptest.Expect(t, r2, smtptest.Step{"EHLO client.example", "250"})
	for i := range limit {
		smtptest.Expect(t, r2, smtptest.Step{"AUTH LOGIN", "334 "}, smtptest.Step{b64("alice"), "334 "})
		if got := r2.Cmd(b64("nope")); !strings.HasPrefix(got, "535 5.7.8") {
			t.Fatalf("LOGIN attempt %d: %q", i+1, got)
		}
	}
	if !r2.Closed(closeWait) {
		t.Fatal("connection still open after MaxLogonFailures (LOGIN)")
	}

	r3, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r3, smtptest.Step{"EHLO client.example", "250"})
	r3.StartTLS(pki.ClientTLSConfig(serverName))
	smtptest.Expect(t, r3, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"AUTH PLAIN " + plainAuth("alice", "secret"), "235 "})
}

// Protocol errors (here AUTH before TLS and bad commands) close the session
// at MaxProtocolErrors.
func TestProtocolErrorLimitDisconnects(t *testing.T) {
	_, a := submission(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 3 })
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"})
	replies := []string{r.Cmd("AUTH PLAIN " + plainAuth("alice", "secret")),
		r.Cmd("MAIL FROM:<x@fabrikam.com>"), r.Cmd("MAIL FROM:<y@fabrikam.com>")}
	for i, got := range replies {
		if !strings.HasPrefix(got, "5") {
			t.Errorf("error %d: %q", i+1, got)
		}
	}
	if !r.Closed(closeWait) {
		t.Fatalf("connection open after MaxProtocolErrors; replies %q", replies)
	}
}
