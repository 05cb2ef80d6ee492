package smtpx_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// submit sends one message with go-smtp's client and returns the final
// reply text ("2.6.0 <id> Queued mail for delivery").
func submit(t *testing.T, c *smtp.Client, from string, to []string, msg string) string {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			t.Fatalf("RCPT %s: %v", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	return resp.StatusText
}

// queuedID extracts the ID from "2.6.0 <id> Queued mail for delivery".
func queuedID(t *testing.T, reply string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(reply, "2.6.0 <")
	id, tail, ok2 := strings.Cut(rest, "> ")
	if !ok || !ok2 || tail != "Queued mail for delivery" {
		t.Fatalf("reply %q is not 2.6.0 <id> Queued mail for delivery", reply)
	}
	return id
}

func dialClient(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	return c
}

func dialStartTLS(t *testing.T, addr string, cfg *tls.Config) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// header returns the header block of a delivered message.
func header(body string) string {
	h, _, _ := strings.Cut(body, "\r\n\r\n")
	return h + "\r\n"
}

func TestAnonymousMessageIsStampedAndFiltered(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.Fqdn = "mail.contoso.com" })))
	c := dialClient(t, e.firstAddr(t))
	reply := submit(t, c, "sender@fabrikam.com", []string{"Bob@Contoso.COM"}, message(
		"Received: from old.example by relay.fabrikam.com; Mon, 1 Jan 2024 00:00:00 +0000",
		"X-MS-Exchange-Organization-SCL: -1",
		"X-MS-Exchange-Organization-AuthAs: Internal",
		"X-MS-Exchange-Forest-RulesExecuted: spoofed",
		"Subject: hi"))
	id := queuedID(t, reply)

	d := e.local.Wait(t)
	if string(d.ID) != id {
		t.Errorf("delivered %s, reply named %s", d.ID, id)
	}
	if d.Hop.Kind != "MailboxDelivery" || d.Hop.Domain != "contoso.com" {
		t.Errorf("hop = %+v", d.Hop)
	}
	if d.Env.ReceiveConnector != "From Internet" || d.Env.Principal != "" || d.Env.HopCount != 1 {
		t.Errorf("envelope = %+v", d.Env)
	}
	if len(d.Rcpts) != 1 || d.Rcpts[0] != "Bob@contoso.com" {
		t.Errorf("recipients = %q", d.Rcpts)
	}
	h := header(d.Body)
	wantPrefix := "Received: from client.example ([127.0.0.1])\r\n\tby mail.contoso.com with ESMTP id "
	if !strings.HasPrefix(h, wantPrefix) {
		t.Errorf("header does not start with the stamped Received:\n%s", h)
	}
	for _, want := range []string{
		"\r\n\tfor <Bob@contoso.com>; ",
		"Received: from old.example by relay.fabrikam.com",
		"Subject: hi\r\n",
		"X-MS-Exchange-Organization-AuthAs: Anonymous\r\n",
		"X-MS-Exchange-Organization-AuthSource: hub01.contoso.com\r\n",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
	for _, gone := range []string{"SCL", "AuthAs: Internal", "Forest-RulesExecuted", "AuthMechanism"} {
		if strings.Contains(h, gone) {
			t.Errorf("header still has %q:\n%s", gone, h)
		}
	}
	if strings.Contains(h, "\r\nMessage-ID:") || strings.Contains(h, "\r\nDate:") {
		t.Errorf("anonymous mail got fields added:\n%s", h)
	}
	if d.Env.Subject != "hi" {
		t.Errorf("envelope Subject %q, want the field's value", d.Env.Subject)
	}
	if !strings.HasSuffix(d.Body, "\r\n\r\nHello.\r\n") {
		t.Errorf("body changed: %q", d.Body)
	}
	stripped := e.events.Filter(ofKind(smtpx.EventHeadersStripped))
	if len(stripped) != 1 || len(stripped[0].Stripped) != 3 {
		t.Errorf("HeadersStripped events = %+v", stripped)
	}
	queued := e.events.Filter(ofKind(smtpx.EventQueued))
	if len(queued) != 1 || string(queued[0].QueueID) != id || !strings.Contains(h, " id "+id+"\r\n") {
		t.Errorf("Queued events = %+v", queued)
	}
}

func TestAuthenticatedSubmissionOverTLS(t *testing.T) {
	toInternet := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) { c.DNSRoutingEnabled = true })
	e := start(t, transport.WithReceiveConnector(clientConnector(t)), transport.WithSendConnector(toInternet),
		transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))), transport.WithServerOptions(smtpx.WithAuthenticator(users())))
	addr := e.firstAddr(t)

	plainText := dialClient(t, addr)
	if ok, _ := plainText.Extension("AUTH"); ok {
		t.Error("AUTH offered before STARTTLS under BasicAuthRequireTLS")
	}
	if ok, _ := plainText.Extension("STARTTLS"); !ok {
		t.Error("STARTTLS not offered")
	}

	c := dialStartTLS(t, addr, testPKI.ClientTLSConfig(serverName))
	if ok, mechs := c.Extension("AUTH"); !ok || mechs != "PLAIN LOGIN" {
		t.Fatalf("AUTH after STARTTLS = %v %q", ok, mechs)
	}
	if err := c.Mail("alice@contoso.com", nil); err == nil || !strings.Contains(err.Error(), "530") {
		t.Fatalf("MAIL before AUTH: %v", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "alice", "secret")); err != nil {
		t.Fatal(err)
	}
	queuedID(t, submit(t, c, "alice@contoso.com", []string{"bob@fabrikam.com"}, message("Subject: out")))

	d := e.remote.Wait(t)
	if d.Hop.Kind != "DnsConnectorDelivery" || d.Hop.Connector != "To Internet" || d.Hop.Domain != "fabrikam.com" {
		t.Errorf("hop = %+v", d.Hop)
	}
	if d.Env.Principal != "alice" {
		t.Errorf("principal = %q", d.Env.Principal)
	}
	h := header(d.Body)
	// A submission without Date and Message-ID gets both (RFC 6409 §8).
	msgID := "<" + string(d.ID) + "@" + serverName + ">"
	for _, want := range []string{" with ESMTPSA id ", "X-MS-Exchange-Organization-AuthAs: Internal\r\n",
		"X-MS-Exchange-Organization-AuthMechanism: 06\r\n", "\r\nDate: ", "\r\nMessage-ID: " + msgID + "\r\n"} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
	if d.Env.MessageID != msgID {
		t.Errorf("envelope Message-ID %q, want %q", d.Env.MessageID, msgID)
	}
	auths := e.events.Filter(ofKind(smtpx.EventAuth))
	if len(auths) != 1 || auths[0].Principal != "alice" || auths[0].Err != nil {
		t.Errorf("Auth events = %+v", auths)
	}
}

func internalConnector(t *testing.T) *connector.ReceiveConnector {
	t.Helper()
	rc := smtptest.ReceiveConnector(t, "Internal", connector.UsageInternal, func(c *connector.ReceiveConfig) {
		c.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
		c.AuthMechanism = auth.TLS | auth.ExchangeServer
	})
	return rc
}

func TestMutualTLSTransportServer(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(internalConnector(t)),
		transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))),
		transport.WithServerOptions(smtpx.WithPeerVerifier(&auth.PeerVerifier{Roots: testPKI.Pool()})))
	cfg := testPKI.ClientTLSConfig(serverName)
	cfg.Certificates = []tls.Certificate{testPKI.Certificate("hub02.contoso.com")}
	c := dialStartTLS(t, e.firstAddr(t), cfg)
	queuedID(t, submit(t, c, "alice@contoso.com", []string{"bob@contoso.com"}, message(
		"X-MS-Exchange-Organization-AuthAs: Internal",
		"X-MS-Exchange-Organization-AuthSource: hub02.contoso.com",
		"X-MS-Exchange-Organization-SCL: -1",
		"Subject: between hubs")))

	d := e.local.Wait(t)
	h := header(d.Body)
	if d.Env.Principal != string(perms.HubTransportServers) {
		t.Errorf("principal = %q", d.Env.Principal)
	}
	for _, want := range []string{" with ESMTPS id ", "X-MS-Exchange-Organization-SCL: -1\r\n",
		"X-MS-Exchange-Organization-AuthSource: hub02.contoso.com\r\n", "X-MS-Exchange-Organization-AuthMechanism: 04\r\n"} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
	if n := strings.Count(h, "AuthSource"); n != 1 {
		t.Errorf("%d AuthSource fields, want the trusted hop's only:\n%s", n, h)
	}
}

func TestUntrustedClientCertificateStaysAnonymous(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(internalConnector(t)),
		transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))),
		transport.WithServerOptions(smtpx.WithPeerVerifier(&auth.PeerVerifier{Roots: testPKI.Pool()})))
	other := smtptest.NewPKI(t)
	cfg := testPKI.ClientTLSConfig(serverName)
	cfg.Certificates = []tls.Certificate{other.Certificate("hub02.contoso.com")}
	c := dialStartTLS(t, e.firstAddr(t), cfg)
	err := c.Mail("alice@contoso.com", nil)
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 530 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("MAIL from an untrusted peer: %v", err)
	}
	auths := e.events.Filter(ofKind(smtpx.EventAuth))
	if len(auths) != 1 || auths[0].Err == nil {
		t.Errorf("Auth events = %+v", auths)
	}
}

func TestExternallySecuredRelay(t *testing.T) {
	rc := smtptest.CustomConnector(t, "Externally secured", func(c *connector.ReceiveConfig) {
		c.PermissionGroups = perms.ExchangeServers
		c.AuthMechanism = auth.ExternalAuthoritative
	})
	toInternet := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
	e := start(t, transport.WithReceiveConnector(rc), transport.WithSendConnector(toInternet))
	c := dialClient(t, e.firstAddr(t))
	queuedID(t, submit(t, c, "app@contoso.com", []string{"x@fabrikam.com"}, message(
		"X-MS-Exchange-Organization-SCL: -1", "Subject: app")))
	d := e.remote.Wait(t)
	h := header(d.Body)
	if strings.Contains(h, "SCL") || !strings.Contains(h, "AuthMechanism: 03\r\n") || !strings.Contains(h, "AuthAs: Internal\r\n") {
		t.Errorf("header:\n%s", h)
	}
}

func TestQueuedReplyWaitsForDurability(t *testing.T) {
	store := newMemStore(true)
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithQueueStore(store))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	r.Cmd("EHLO client.example")
	r.Cmd("MAIL FROM:<a@fabrikam.com>")
	r.Cmd("RCPT TO:<bob@contoso.com>")
	if got := r.Cmd("DATA"); !strings.HasPrefix(got, "354") {
		t.Fatal(got)
	}
	r.WriteBody(message("Subject: durable"))

	select {
	case <-store.applying:
	case <-time.After(10 * time.Second):
		t.Fatal("the queue never committed")
	}
	// The commit is held: nothing may have been answered yet.
	if r.Wait(100*time.Millisecond) == smtptest.StateData {
		t.Fatalf("reply %q sent before the message was durable", r.ReadReply())
	}
	close(store.release)
	got := r.ReadReply()
	id := <-store.committed
	if got != "250 2.6.0 <"+string(id)+"> Queued mail for delivery" {
		t.Fatalf("reply %q, committed %s", got, id)
	}
}
