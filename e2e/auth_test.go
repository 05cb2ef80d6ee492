package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
)

// submission is a Client-like connector: STARTTLS, then AUTH PLAIN LOGIN.
func submission(t *testing.T, opts ...connector.ReceiveOption) (*smtpx.Transport, string) {
	t.Helper()
	base := []connector.ReceiveOption{connector.WithUsage(connector.UsageCustom),
		connector.WithBindingList(loopback), connector.WithRemoteIPRangeList("127.0.0.1"),
		connector.WithTarpitInterval(tarpit), connector.WithPermissionGroups(perms.ExchangeUsers),
		connector.WithAuthMechanism(mechBasicTLS)}
	rc, err := connector.NewReceive("Client", append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := transport(t, smtpx.WithReceiveConnector(rc), smtpx.WithAuthenticator(users()),
		smtpx.WithTLSCertificate(pki.Certificate(serverName)))
	return tr, addr(t, tr, rc.Name())
}

// Under BasicAuthRequireTLS, AUTH is neither advertised nor accepted before
// STARTTLS (RFC 4954 §6: 538 5.7.11), and is advertised once TLS is up.
func TestAuthNeverBeforeTLS(t *testing.T) {
	_, a := submission(t)
	r, _ := dial(t, a)
	ehlo := r.cmd("EHLO client.example")
	if !strings.HasPrefix(ehlo, "250 ") || strings.Contains(ehlo, "AUTH") || !strings.Contains(ehlo, "\nSTARTTLS") {
		t.Errorf("EHLO before TLS:\n%s", ehlo)
	}
	for _, cmd := range []string{"AUTH PLAIN " + plainAuth("alice", "secret"), "AUTH LOGIN", "AUTH PLAIN"} {
		if got := r.cmd(cmd); !strings.HasPrefix(got, "538 5.7.11") {
			t.Errorf("%s before TLS: %q", cmd, got)
		}
	}
	if got := r.cmd("MAIL FROM:<alice@contoso.com>"); !strings.HasPrefix(got, "530 5.7.1") {
		t.Errorf("MAIL without AUTH: %q", got)
	}
	r.startTLS(pki.ClientTLSConfig(serverName))
	ehlo = r.cmd("EHLO client.example")
	if !strings.Contains(ehlo, "\nAUTH PLAIN LOGIN") || strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO after TLS:\n%s", ehlo)
	}
	r.expect([2]string{"AUTH PLAIN " + plainAuth("alice", "secret"), "235 "},
		[2]string{"MAIL FROM:<alice@contoso.com>", "250"})
}

// Wrong passwords get 535 5.7.8, each tarpitted; at MaxLogonFailures the
// refusal is the last reply and the connection is closed. The limit is per
// session: another client still logs in.
func TestBruteForceIsTarpittedAndDisconnected(t *testing.T) {
	const limit = 3
	_, a := submission(t, connector.WithMaxLogonFailures(limit), connector.WithMaxProtocolErrors(100))
	r, _ := dial(t, a)
	r.expect([2]string{"EHLO client.example", "250"})
	r.startTLS(pki.ClientTLSConfig(serverName))
	r.expect([2]string{"EHLO client.example", "250"})
	for i := range limit {
		start := time.Now()
		got := r.cmd("AUTH PLAIN " + plainAuth("alice", "guess"+string(rune('a'+i))))
		if !strings.HasPrefix(got, "535 5.7.8") {
			t.Fatalf("attempt %d: %q", i+1, got)
		}
		if d := time.Since(start); d < tarpit {
			t.Errorf("attempt %d answered in %v, not tarpitted", i+1, d)
		}
	}
	if !r.closed() {
		t.Fatal("connection still open after MaxLogonFailures")
	}

	// AUTH LOGIN guesses count the same way.
	r2, _ := dial(t, a)
	r2.expect([2]string{"EHLO client.example", "250"})
	r2.startTLS(pki.ClientTLSConfig(serverName))
	r2.expect([2]string{"EHLO client.example", "250"})
	for i := range limit {
		r2.expect([2]string{"AUTH LOGIN", "334 "}, [2]string{b64("alice"), "334 "})
		if got := r2.cmd(b64("nope")); !strings.HasPrefix(got, "535 5.7.8") {
			t.Fatalf("LOGIN attempt %d: %q", i+1, got)
		}
	}
	if !r2.closed() {
		t.Fatal("connection still open after MaxLogonFailures (LOGIN)")
	}

	r3, _ := dial(t, a)
	r3.expect([2]string{"EHLO client.example", "250"})
	r3.startTLS(pki.ClientTLSConfig(serverName))
	r3.expect([2]string{"EHLO client.example", "250"}, [2]string{"AUTH PLAIN " + plainAuth("alice", "secret"), "235 "})
}

// Protocol errors (here AUTH before TLS and bad commands) close the session
// at MaxProtocolErrors.
func TestProtocolErrorLimitDisconnects(t *testing.T) {
	_, a := submission(t, connector.WithMaxProtocolErrors(3))
	r, _ := dial(t, a)
	r.expect([2]string{"EHLO client.example", "250"})
	replies := []string{r.cmd("AUTH PLAIN " + plainAuth("alice", "secret")),
		r.cmd("MAIL FROM:<x@fabrikam.com>"), r.cmd("MAIL FROM:<y@fabrikam.com>")}
	for i, got := range replies {
		if !strings.HasPrefix(got, "5") {
			t.Errorf("error %d: %q", i+1, got)
		}
	}
	if !r.closed() {
		t.Fatalf("connection open after MaxProtocolErrors; replies %q", replies)
	}
}
