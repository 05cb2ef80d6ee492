package e2e

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

const relayDenied = "550 5.7.1 Unable to relay"

// relayTricks are the classic ways to make a server relay to a foreign
// domain while looking like mail for an accepted one.
//
// Address literals are refused as recipients outright ("501 5.1.3"): the
// session never treats one as local, so no right makes them relayable.
var relayTricks = []struct{ name, rcpt string }{
	{"plain foreign recipient", "user@evil.example"},
	{"percent hack", "user%evil.example@contoso.com"},
	{"bang path", "evil.example!user@contoso.com"},
	{"source route", "@contoso.com:user@evil.example"},
	{"source route through two hops", "@contoso.com,@mx.contoso.com:user@evil.example"},
	{"quoted local part with @", `"user@evil.example"@contoso.com`},
	{"double @", "user@evil.example@contoso.com"},
	{"IP literal", "user@[192.0.2.1]"},
	{"loopback IP literal", "user@[127.0.0.1]"},
	{"IPv6 literal", "user@[IPv6:2001:db8::1]"},
	{"trailing dot", "user@evil.example."},
	{"mixed case", "USER@EVIL.EXAMPLE"},
	{"accepted domain as a suffix", "user@contoso.com.evil.example"},
	{"accepted domain as a prefix label", "user@evilcontoso.com"},
	{"percent hack with trailing dot", "user%evil.example.@contoso.com"},
}

// Every relay trick is refused with 550 5.7.1 to an anonymous client of an
// Internet connector, tarpitted, whatever the sender; recipients after a
// refused one are judged on their own; accepted recipients still work.
func TestOpenRelayBattery(t *testing.T) {
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
		c.MaxProtocolErrors = 100
		c.TarpitInterval = tarpit
	})
	tr, rec := startTransport(t, transport.WithReceiveConnector(rc))
	a := addr(t, tr, rc.Name())
	for _, sender := range []string{"spammer@fabrikam.com", "ceo@contoso.com", ""} {
		for _, tc := range relayTricks {
			t.Run(sender+"/"+tc.name, func(t *testing.T) {
				r, _ := smtptest.Dial(t, a)
				smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"})
				mail := r.Cmd("MAIL FROM:<" + sender + ">")
				if sender == "ceo@contoso.com" && strings.HasPrefix(mail, "550 5.7.1") {
					// A forged authoritative sender may be refused outright:
					// then nothing can be relayed at all.
					if got := r.Cmd("RCPT TO:<" + tc.rcpt + ">"); !strings.HasPrefix(got, "503") {
						t.Errorf("RCPT after refused MAIL: %q", got)
					}
					return
				}
				if !strings.HasPrefix(mail, "250") {
					t.Fatalf("MAIL: %q", mail)
				}
				start := time.Now()
				if got := r.Cmd("RCPT TO:<" + tc.rcpt + ">"); got != refusal(tc.rcpt, relayDenied) {
					t.Errorf("RCPT TO:<%s>: got %q, want %q", tc.rcpt, got, refusal(tc.rcpt, relayDenied))
				}
				if d := time.Since(start); d < tarpit {
					t.Errorf("refusal not tarpitted: answered in %v", d)
				}
				// Recipients after a refused one: another foreign one is
				// still refused, an accepted one accepted, and the message
				// goes only to the accepted recipient.
				smtptest.Expect(t, r, smtptest.Step{"RCPT TO:<other@evil.example>", relayDenied},
					smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
					smtptest.Step{"DATA:" + message("Subject: "+tc.name), "250 2.6.0 <"})
				rec.Wait(t)
			})
		}
	}
}

// Authenticated users relay only when their rights say so: members of
// ExchangeUsers (Authenticated Users) hold Accept-Any-Recipient, a user
// denied it does not, and an anonymous session never does.
func TestAuthenticatedRelayFollowsRights(t *testing.T) {
	rcCfg := connector.NewReceiveConfig("Submission", connector.UsageCustom)
	rcCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(loopback)}
	rcCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
	rcCfg.Permissions = []connector.Permission{{User: perms.Principal("mallory"), ExtendedRights: perms.AcceptAnyRecipient, Deny: true}}
	rcCfg.TarpitInterval = tarpit
	rcCfg.RequireTLS = false
	rcCfg.PermissionGroups = perms.AnonymousUsers | perms.ExchangeUsers
	rcCfg.AuthMechanism = mechBasicTLS
	rcCfg.MaxProtocolErrors = 100
	rc, err := rcCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	tr, rec := startTransport(t, transport.WithReceiveConnector(rc), transport.WithServerOptions(smtpx.WithAuthenticator(users())),
		transport.WithServerOptions(smtpx.WithTLSCertificate(pki.Certificate(serverName))))
	a := addr(t, tr, rc.Name())
	tests := []struct {
		name, user, pass string
		foreign          string // reply to a foreign recipient
	}{
		{"anonymous", "", "", relayDenied},
		{"ExchangeUsers member", "alice", "secret", "250 2.1.5"},
		{"user denied Accept-Any-Recipient", "mallory", "hunter2", relayDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := smtptest.Dial(t, a)
			smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"})
			r.StartTLS(pki.ClientTLSConfig(serverName))
			smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"})
			if tc.user != "" {
				smtptest.Expect(t, r, smtptest.Step{"AUTH PLAIN " + plainAuth(tc.user, tc.pass), "235 "})
			}
			smtptest.Expect(t, r, smtptest.Step{"MAIL FROM:<" + tc.user + "x@fabrikam.com>", "250"})
			for _, trick := range relayTricks {
				if got, want := r.Cmd("RCPT TO:<"+trick.rcpt+">"), refusal(trick.rcpt, tc.foreign); !strings.HasPrefix(got, want) {
					t.Errorf("RCPT TO:<%s>: got %q, want %q", trick.rcpt, got, want)
				}
			}
			smtptest.Expect(t, r, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
				smtptest.Step{"DATA:" + message("Subject: relay rights"), "250 2.6.0 <"})
			rec.Wait(t)
		})
	}
}

// refusal is the reply a relay trick gets: address literals are malformed
// recipients for every session, the rest get the session's relay answer.
func refusal(rcpt, relay string) string {
	if strings.Contains(rcpt, "@[") {
		return "501 5.1.3 Invalid recipient address"
	}
	return relay
}
