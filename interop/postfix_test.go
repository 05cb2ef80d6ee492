//go:build interop

package interop_test

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/postfixtest"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

const (
	mxName      = "mx.fabrikam.example"
	smartName   = "smarthost.contoso.example"
	relayUser   = "svc-relay"
	relayPass   = "Relay-Passw0rd"
	downMessage = "From: App <app@contoso.example>\r\nTo: bob@fabrikam.example, carol@fabrikam.example\r\n" +
		"Subject: interop downstream\r\nMessage-ID: <downstream-1@contoso.example>\r\n" +
		"X-MS-Exchange-Organization-SCL: -1\r\n\r\n" +
		"first line\r\n.a line that starts with a dot\r\n..two dots\r\nlast line\r\n"
)

// TestPostfixDownstream: hubedge relays through a DNS-routed send
// connector to Postfix as the recipients' MX, over STARTTLS.
func TestPostfixDownstream(t *testing.T) {
	t.Parallel()
	pki := smtptest.NewPKI(t)
	pf := postfixtest.Start(t, postfixtest.WithHostname(mxName), postfixtest.WithTLS(pki.Certificate(mxName)),
		postfixtest.WithMailboxDomains("fabrikam.example"))
	ctx := testContext(t)
	dns := mxtest.NewDNS(t, mxtest.MX("fabrikam.example", 10, mxName), mxtest.A(mxName, "127.0.0.1"))
	ev := &smtptest.Events[transport.Event]{}
	tr := startTransport(t,
		transport.WithReceiveConnector(anonymousRelay(t)),
		transport.WithSendConnector(smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "fabrikam.example", func(c *connector.SendConfig) {
			c.DNSRoutingEnabled = true
		})),
		transport.WithDeliverOptions(deliver.WithResolver(resolver(t, dns))), transport.WithDeliverOptions(deliver.WithMXPort(uint16(pf.Port()))), transport.WithTrace(ev.Add))

	submitTo(t, tr.Addr("Relay").String(), "app@contoso.example", []string{"bob@fabrikam.example", "carol@fabrikam.example"}, downMessage)

	msgs, err := pf.WaitMessages(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var boxes []string
	for _, m := range msgs {
		boxes = append(boxes, m.Mailbox)
		if got := m.Header.Get("Subject"); got != "interop downstream" {
			t.Errorf("%s: Subject %q", m.Mailbox, got)
		}
		if got := m.Header.Get("Message-Id"); got != "<downstream-1@contoso.example>" {
			t.Errorf("%s: Message-ID %q", m.Mailbox, got)
		}
		if got := m.Header.Get("Return-Path"); got != "<app@contoso.example>" {
			t.Errorf("%s: Return-Path %q", m.Mailbox, got)
		}
		// The lines that start with a dot arrive as they were written: the
		// message went as a BDAT chunk, which is not dot-stuffed.
		if want := "first line\n.a line that starts with a dot\n..two dots\nlast line\n"; string(m.Body) != want {
			t.Errorf("%s: body %q, want %q", m.Mailbox, m.Body, want)
		}
		received := m.Header["Received"]
		if len(received) < 2 {
			t.Fatalf("%s: Received fields %q", m.Mailbox, received)
		}
		if !regexp.MustCompile(`^from ` + regexp.QuoteMeta(hubName) + ` \(unknown \[127\.0\.0\.1\]\)\s+\(using TLSv1\.[23] .*by ` +
			regexp.QuoteMeta(mxName) + ` \(Postfix\) with ESMTPS id `).MatchString(collapse(received[0])) {
			t.Errorf("%s: Postfix's Received: %s", m.Mailbox, received[0])
		}
		if !strings.Contains(received[1], "by "+hubName+" with ESMTP id ") {
			t.Errorf("%s: hubedge's Received: %s", m.Mailbox, received[1])
		}
		for k := range m.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-ms-exchange-organization-") {
				t.Errorf("%s: %s crossed the Internet send connector", m.Mailbox, k)
			}
		}
	}
	slices.Sort(boxes)
	if !slices.Equal(boxes, []string{"bob@fabrikam.example", "carol@fabrikam.example"}) {
		t.Errorf("mailboxes %q", boxes)
	}

	if _, err := pf.WaitLog(ctx, regexp.MustCompile(`TLS connection established from unknown\[127\.0\.0\.1\]`)); err != nil {
		t.Error(err)
	}
	// hubedge keeps the connection for reuse, so the session has not
	// ended; its commands so far, after Start's probe (QUIT), are one
	// STARTTLS transaction carrying both recipients, and the message in one
	// "BDAT n LAST", since Postfix offers CHUNKING (RFC 3030).
	var verbs []string
	for _, c := range pf.Commands() {
		verb, _, _ := strings.Cut(c, " ")
		verbs = append(verbs, verb)
	}
	want := []string{"QUIT", "EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "RCPT", "BDAT"}
	if len(verbs) < len(want) || !slices.Equal(verbs[:len(want)], want) {
		t.Errorf("Postfix received %q, want %q first", pf.Commands(), want)
	}
	if cmds := pf.Commands(); !slices.Contains(cmds, "EHLO "+hubName) || !slices.Contains(cmds, "RCPT TO:<carol@fabrikam.example>") {
		t.Errorf("Postfix received %q", cmds)
	}
	tlsEv := waitDelivery(t, ev, func(e deliver.Event) bool { return e.Kind == deliver.EventTLS })
	if !strings.HasPrefix(tlsEv.TLSVersion, "TLS 1.") {
		t.Errorf("TLS event %+v", tlsEv)
	}
}

// smartHost starts Postfix as a SASL-over-TLS smart host presenting a
// certificate for certName and relaying to a sink, and a hubedge
// transport whose send connector uses it by FQDN with mech.
func smartHost(t *testing.T, certName string, mech auth.SmartHostAuth) (*postfixtest.Instance, *smtptest.Sink, *transport.Transport, *smtptest.Events[transport.Event]) {
	t.Helper()
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.Hostname("next.contoso.example"))
	pf := postfixtest.Start(t, postfixtest.WithHostname(smartName), postfixtest.WithTLS(pki.Certificate(certName)),
		postfixtest.WithSASLUser(relayUser, relayPass), postfixtest.WithRelayHost(sink.Addr()))
	// BasicAuthRequireTLS checks the certificate against the smart host's
	// FQDN, so it is named, and the name resolves to loopback.
	dns := mxtest.NewDNS(t, mxtest.A(smartName, "127.0.0.1"))
	ev := &smtptest.Events[transport.Event]{}
	out := smtptest.SendConnector(t, "To Smart Host", connector.UsageInternet, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(smartName + ":" + strconv.Itoa(pf.Port()))}
		c.DNSRoutingEnabled = false
		c.SmartHostAuthMechanism = mech
		c.AuthenticationCredential = connector.Credential{UserName: relayUser, Password: relayPass}
	})
	tr := startTransport(t, transport.WithReceiveConnector(anonymousRelay(t)), transport.WithSendConnector(out),
		transport.WithDeliverOptions(deliver.WithResolver(resolver(t, dns))), transport.WithDeliverOptions(deliver.WithRootCAs(pki.Pool())), transport.WithTrace(ev.Add))
	return pf, sink, tr, ev
}

const smartMessage = "From: app@contoso.example\r\nTo: dave@fabrikam.example\r\nSubject: via the smart host\r\n" +
	"Message-ID: <smart-1@contoso.example>\r\n\r\nbody\r\n"

func TestPostfixSmartHostAuth(t *testing.T) {
	t.Parallel()
	for _, mech := range []auth.SmartHostAuth{auth.SmartHostBasicAuthRequireTLS, auth.SmartHostBasicAuth} {
		t.Run(mech.String(), func(t *testing.T) {
			t.Parallel()
			pf, sink, tr, ev := smartHost(t, smartName, mech)
			ctx := testContext(t)
			submitTo(t, tr.Addr("Relay").String(), "app@contoso.example", []string{"dave@fabrikam.example"}, smartMessage)

			msgs, err := sink.WaitMessages(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			m := msgs[0]
			if m.From != "app@contoso.example" || !slices.Equal(m.To, []string{"dave@fabrikam.example"}) ||
				m.Header.Get("Message-Id") != "<smart-1@contoso.example>" {
				t.Errorf("relayed %q -> %q, Message-ID %q", m.From, m.To, m.Header.Get("Message-Id"))
			}
			if rcv := collapse(m.Header.Get("Received")); !strings.Contains(rcv, "by "+smartName+" (Postfix) with ESMTPSA id ") ||
				!strings.Contains(rcv, "from "+hubName) {
				t.Errorf("Postfix's Received: %s", rcv)
			}
			if !slices.ContainsFunc(pf.Commands(), func(c string) bool { return strings.HasPrefix(c, "AUTH PLAIN ") }) {
				t.Errorf("Postfix saw no AUTH PLAIN: %q", pf.Commands())
			}
			if _, err := pf.WaitLog(ctx, regexp.MustCompile(`client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=`+relayUser)); err != nil {
				t.Error(err)
			}
			authEv := waitDelivery(t, ev, func(e deliver.Event) bool { return e.Kind == deliver.EventAuth })
			tlsEv := waitDelivery(t, ev, func(e deliver.Event) bool { return e.Kind == deliver.EventTLS })
			if authEv.Mechanism != "PLAIN" {
				t.Errorf("auth event %+v", authEv)
			}
			if mech == auth.SmartHostBasicAuthRequireTLS && tlsEv.VerifiedName != smartName {
				t.Errorf("certificate verified against %q, want %q", tlsEv.VerifiedName, smartName)
			}
		})
	}
}

// TestPostfixSmartHostWrongCertificate: the smart host presents a
// certificate for another name. Under BasicAuthRequireTLS hubedge must
// not authenticate: Postfix's log of every command it received shows
// STARTTLS and no AUTH, and nothing is relayed.
func TestPostfixSmartHostWrongCertificate(t *testing.T) {
	t.Parallel()
	pf, sink, tr, ev := smartHost(t, "other.contoso.example", auth.SmartHostBasicAuthRequireTLS)
	ctx := testContext(t)
	submitTo(t, tr.Addr("Relay").String(), "app@contoso.example", []string{"dave@fabrikam.example"}, smartMessage)

	fail := waitDelivery(t, ev, func(e deliver.Event) bool {
		return (e.Kind == deliver.EventFailover || e.Kind == deliver.EventClose) && e.Err != nil
	})
	if !errors.Is(fail.Err, deliver.ErrTLS) {
		t.Errorf("delivery failed with %v, want deliver.ErrTLS", fail.Err)
	}
	// The readiness probe and at least our session have ended.
	sessions, err := pf.WaitDisconnects(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	cmds := pf.Commands()
	if !slices.Contains(cmds, "STARTTLS") {
		t.Errorf("hubedge never tried STARTTLS: %q", cmds)
	}
	for _, c := range cmds {
		if verb, _, _ := strings.Cut(c, " "); strings.EqualFold(verb, "AUTH") || strings.EqualFold(verb, "MAIL") {
			t.Errorf("Postfix received %q from a client that must not authenticate", c)
		}
	}
	for _, s := range sessions {
		if strings.Contains(s, "auth=") || strings.Contains(s, "mail=") {
			t.Errorf("session summary %q", s)
		}
	}
	if log := pf.Log(); strings.Contains(log, "sasl_method") || strings.Contains(log, relayPass) {
		t.Error("Postfix logged a SASL exchange")
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages relayed", n)
	}
	t.Logf("Postfix sessions: %q; hubedge: %v", sessions, fail.Err)
}

// submitTo sends msg through addr without TLS or AUTH to every rcpt.
func submitTo(t *testing.T, addr, from string, rcpts []string, msg string) {
	t.Helper()
	c := dial(t, addr)
	if err := c.SendMail(from, rcpts, strings.NewReader(msg)); err != nil {
		t.Fatalf("submitting to %s: %v", addr, err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// collapse unfolds a header field value.
func collapse(v string) string {
	return strings.Join(strings.Fields(v), " ")
}
