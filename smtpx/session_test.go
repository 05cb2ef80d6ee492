package smtpx_test

import (
	"context"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/local"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// step sends one command (or "DATA:<message>", "RAW:<bytes>", see
// smtptest.Step) and expects a reply that starts with want ("EOF": the
// server closed the connection).
type step struct{ send, want string }

func plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

func users() auth.Authenticator {
	return auth.NewStatic(map[string]string{"alice": "secret"})
}

func TestSessionRules(t *testing.T) {
	big := strings.Repeat(strings.Repeat("x", 98)+"\r\n", 700)
	received := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("Received: from a" + string(rune('a'+i)) + ".example by b.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n")
		}
		return b.String()
	}
	tests := []struct {
		name   string
		rc     func(t *testing.T) *connector.ReceiveConnector
		opts   []transport.Option
		banner string
		script []step
	}{{
		name:   "no connector for the remote address",
		rc:     partnersOnly,
		banner: "554 5.7.1 Access denied",
		script: []step{{"EHLO client.example", "EOF"}},
	}, {
		name: "custom banner",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.Banner = "220 mail.contoso.com Welcome" })
		},
		banner: "220 mail.contoso.com Welcome",
		script: []step{{"QUIT", "221 2.0.0"}},
	}, {
		name: "default banner names the connector FQDN",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.Fqdn = "mail.contoso.com" })
		},
		banner: "220 mail.contoso.com ESMTP MAIL Service ready at ",
	}, {
		name: "MAIL without Submit",
		rc:   func(t *testing.T) *connector.ReceiveConnector { return smtptest.CustomConnector(t, "No groups") },
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "530 5.7.1 Client was not authenticated"},
		},
	}, {
		name: "relay refused, accepted domains accepted",
		rc:   plainInternet,
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250 2.1.0"},
			{"RCPT TO:<bob@fabrikam.com>", "550 5.7.1 Unable to relay"},
			{"RCPT TO:<bob@CONTOSO.com>", "250 2.1.5"},
			{"RCPT TO:<carol@relay.contoso.com>", "250 2.1.5"},
		},
	}, {
		name: "relay tricks judged by the real final domain",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 0 })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob%fabrikam.com@contoso.com>", "550 5.7.1 Unable to relay"},
			{"RCPT TO:<fabrikam.com!bob@contoso.com>", "550 5.7.1 Unable to relay"},
			{`RCPT TO:<"bob@fabrikam.com"@contoso.com>`, "550 5.7.1 Unable to relay"},
			{"RCPT TO:<bob@fabrikam.com@contoso.com>", "550 5.7.1 Unable to relay"},
			{"RCPT TO:<@contoso.com:bob@fabrikam.com>", "550 5.7.1 Unable to relay"},
			{"RCPT TO:<@fabrikam.com:bob@contoso.com>", "250 2.1.5"},
			{"RCPT TO:<bob@[192.0.2.1]>", "501 5.1.3 Invalid recipient address"},
		},
	}, {
		name: "anonymous sender in an authoritative domain",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.DenyAnonymousAuthoritativeSender = true })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<ceo@contoso.com>", "550 5.7.1 Client does not have permissions to send as this sender"},
			{"MAIL FROM:<ceo@fabrikam.com>", "250"},
		},
	}, {
		name: "SIZE over the limit",
		rc:   plainInternet,
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com> SIZE=99999999", "552 5.3.4"},
		},
	}, {
		name: "SIZE over the limit where a principal may bypass it",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
				c.Permissions = []connector.Permission{{User: perms.PartnerServers, ExtendedRights: perms.BypassMessageSizeLimit}}
			})
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com> SIZE=99999999", "552 5.3.4 Message size exceeds fixed maximum message size"},
		},
	}, {
		name: "message over the limit while streaming",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxMessageSize = 65536 })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"},
			{"DATA:" + message("Subject: big") + big, "552 5.3.4"},
		},
	}, {
		name: "message over the limit streaming with bypass configured",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
				c.Permissions = []connector.Permission{{User: perms.PartnerServers, ExtendedRights: perms.BypassMessageSizeLimit}}
				c.MaxMessageSize = 65536
			})
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"},
			{"DATA:" + message("Subject: big") + big, "552 5.3.4 Message size exceeds fixed maximum message size"},
			{"NOOP", "250"},
		},
	}, {
		name: "too many recipients",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxRecipientsPerMessage = 2 })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<a@contoso.com>", "250"},
			{"RCPT TO:<b@contoso.com>", "250"},
			{"RCPT TO:<c@contoso.com>", "452 4.5.3"},
		},
	}, {
		// RFC 6531 §3.4: a client must use SMTPUTF8 for a non-ASCII address.
		name: "non-ASCII addresses without SMTPUTF8",
		rc:   plainInternet,
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<jörg@fabrikam.com>", "553 5.6.7"},
			{"MAIL FROM:<a@bücher.example>", "553 5.6.7"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<jörg@contoso.com>", "553 5.6.7"},
			{"RSET", "250"},
			{"MAIL FROM:<jörg@fabrikam.com> SMTPUTF8", "250"},
			{"RCPT TO:<jörg@contoso.com>", "250"},
		},
	}, {
		name: "hop count exceeded",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxHopCount = 2 })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"},
			{"DATA:" + received(3) + message("Subject: loop"), "554 5.4.14 Hop count exceeded - possible mail loop"},
		},
	}, {
		name: "local hop count exceeded",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxLocalHopCount = 1 })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"},
			{"DATA:Received: from x by hub01.contoso.com; Mon, 1 Jan 2024 00:00:00 +0000\r\nReceived: from y by HUB01.contoso.com.; Mon, 1 Jan 2024 00:00:00 +0000\r\n" + message("Subject: loop"), "554 5.4.14"},
		},
	}, {
		name: "header over MaxHeaderSize",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxHeaderSize = 1024 })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"},
			{"DATA:" + message("Subject: "+strings.Repeat("y", 900), "X-Long: "+strings.Repeat("z", 900)), "552 5.3.4 Header size exceeds fixed maximum size"},
		},
	}, {
		name: "RequireTLS",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.RequireTLS = true })
		},
		opts: []transport.Option{transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName)))},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "530 5.7.0 Must issue a STARTTLS command first"},
		},
	}, {
		name: "RequireEHLODomain",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.RequireEHLODomain = true })
		},
		script: []step{
			{"EHLO nodomain", "501 5.5.4 Invalid domain name"},
			{"NOOP", "EOF"},
		},
	}, {
		name: "RequireEHLODomain accepts an address literal",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.RequireEHLODomain = true })
		},
		script: []step{
			{"EHLO [127.0.0.1]", "250"},
		},
	}, {
		name: "AUTH before TLS under BasicAuthRequireTLS",
		rc:   clientConnector,
		opts: []transport.Option{transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))), transport.WithServerOptions(smtpx.WithAuthenticator(users()))},
		script: []step{
			{"EHLO client.example", "250"},
			{"AUTH PLAIN " + plain("alice", "secret"), "538 5.7.11 Encryption required for requested authentication mechanism"},
		},
	}, {
		name: "AUTH on a connector without BasicAuth",
		rc:   plainInternet,
		opts: []transport.Option{transport.WithServerOptions(smtpx.WithAuthenticator(users()))},
		script: []step{
			{"EHLO client.example", "250"},
			{"AUTH PLAIN " + plain("alice", "secret"), "504 5.7.4 Unrecognized authentication type"},
		},
	}, {
		name: "wrong credentials, then MaxLogonFailures",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.CustomConnector(t, "Plain auth", func(c *connector.ReceiveConfig) {
				c.PermissionGroups = perms.ExchangeUsers
				c.AuthMechanism = auth.BasicAuth
				c.MaxLogonFailures = 2
			})
		},
		opts: []transport.Option{transport.WithServerOptions(smtpx.WithAuthenticator(users()))},
		script: []step{
			{"EHLO client.example", "250"},
			{"AUTH PLAIN " + plain("alice", "wrong"), "535 5.7.8 Authentication unsuccessful"},
			{"AUTH PLAIN " + plain("mallory", "secret"), "535 5.7.8 Authentication unsuccessful"},
			{"RAW:", "421 4.7.0 Too many errors on this connection"}, // RFC 5321 §3.8
			{"RAW:", "EOF"},
		},
	}, {
		name: "right credentials in plaintext with BasicAuth",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.CustomConnector(t, "Plain auth", func(c *connector.ReceiveConfig) {
				c.PermissionGroups = perms.ExchangeUsers
				c.AuthMechanism = auth.BasicAuth
			})
		},
		opts: []transport.Option{transport.WithServerOptions(smtpx.WithAuthenticator(users()))},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<alice@contoso.com>", "530 5.7.1 Client was not authenticated"},
			{"AUTH PLAIN " + plain("alice", "secret"), "235 2.7.0"},
			{"AUTH PLAIN " + plain("alice", "secret"), "503 5.5.1"},
			{"MAIL FROM:<alice@contoso.com>", "250"},
			{"RCPT TO:<bob@fabrikam.com>", "250"},
		},
	}, {
		name: "MaxProtocolErrors",
		rc: func(t *testing.T) *connector.ReceiveConnector {
			return smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 2 })
		},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<a@fabrikam.com>", "550 5.7.1 Unable to relay"},
			{"RCPT TO:<b@fabrikam.com>", "550 5.7.1 Unable to relay"},
			{"RAW:", "421 4.7.0 Too many errors on this connection"},
			{"RAW:", "EOF"},
		},
	}, {
		name: "unknown recipient with a directory",
		rc:   plainInternet,
		opts: []transport.Option{transport.WithDirectory(local.DirectoryFunc(func(_ context.Context, addr string) (bool, error) {
			return strings.EqualFold(addr, "bob@contoso.com"), nil
		}))},
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<nobody@contoso.com>", "550 5.1.1 User unknown"},
			{"RCPT TO:<bob@contoso.com>", "250"},
		},
	}, {
		name: "BDAT",
		rc:   plainInternet,
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"},
			{"RAW:BDAT 10\r\nSubject: x", "250 2.0.0"},
			{"RAW:BDAT 10 LAST\r\n\r\n\r\nHello.\r\n", "250 2.6.0 <"},
		},
	}, {
		name: "DATA queued",
		rc:   plainInternet,
		script: []step{
			{"EHLO client.example", "250"},
			{"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"},
			{"DATA:" + message("Subject: hi"), "250 2.6.0 <"},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]transport.Option{transport.WithReceiveConnector(tc.rc(t))}, tc.opts...)
			e := start(t, opts...)
			r, greeting := smtptest.Dial(t, e.firstAddr(t))
			wantBanner := tc.banner
			if wantBanner == "" {
				wantBanner = "220 "
			}
			if !strings.HasPrefix(greeting, wantBanner) {
				t.Fatalf("greeting = %q, want prefix %q", greeting, wantBanner)
			}
			for _, s := range tc.script {
				if err := r.Expect(smtptest.Step{s.send, s.want}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// partnersOnly serves 10.0.0.0/8 only, so loopback clients match nothing.
func partnersOnly(t *testing.T) *connector.ReceiveConnector {
	t.Helper()
	rcCfg := connector.NewReceiveConfig("Partners only", connector.UsagePartner)
	rcCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(loopback)}
	rcCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("10.0.0.0/8")}
	rc, err := rcCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// clientConnector is the Client usage: ExchangeUsers, TLS, BasicAuth,
// BasicAuthRequireTLS.
func clientConnector(t *testing.T) *connector.ReceiveConnector {
	t.Helper()
	rc := smtptest.ReceiveConnector(t, "Client", connector.UsageClient, func(c *connector.ReceiveConfig) {
		c.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
	})
	return rc
}

// A refusal to an unauthenticated client waits TarpitInterval on the
// server's clock; an accepted command does not wait at all (the clock
// never moves for it).
func TestTarpit(t *testing.T) {
	const d = 5 * time.Second
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	e := start(t, transport.WithClock(clock),
		transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.TarpitInterval = d })))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	r.Cmd("EHLO client.example")
	r.Cmd("MAIL FROM:<a@fabrikam.com>")
	if _, err := r.Write([]byte("RCPT TO:<a@fabrikam.com>\r\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), smtptest.WaitLimit)
	defer cancel()
	if err := clock.WaitTimer(ctx, d); err != nil {
		t.Fatal(err)
	}
	clock.Advance(d)
	if got := r.ReadReply(); !strings.HasPrefix(got, "550 5.7.1") {
		t.Fatal(got)
	}
	if got := r.Cmd("RCPT TO:<a@contoso.com>"); !strings.HasPrefix(got, "250") {
		t.Fatal(got)
	}
}

func plainInternet(t *testing.T) *connector.ReceiveConnector { return smtptest.InternetConnector(t) }
