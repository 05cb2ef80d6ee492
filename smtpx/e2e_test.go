package smtpx_test

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/local"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// Local delivery into a Maildir through the real smtpx/local deliverer, and
// RCPT-time refusal from its directory.
func TestMaildirDelivery(t *testing.T) {
	root := t.TempDir()
	md, err := local.NewMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := local.NewStaticDirectory("bob@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	tr := plainTransport(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)),
		transport.WithLocalDelivery(md), transport.WithDirectory(dir))
	c := dialClient(t, tr.Addr("From Internet").String())
	if err := c.Mail("x@fabrikam.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("nobody@contoso.com", nil); err == nil || !strings.HasPrefix(err.Error(), "SMTP error 550") {
		t.Fatalf("unknown recipient: %v", err)
	}
	c.Reset()
	queuedID(t, submit(t, c, "x@fabrikam.com", []string{"Bob@contoso.com"},
		message("X-MS-Exchange-Organization-SCL: -1", "Subject: to the mailbox")))

	var paths []string
	deadline := time.Now().Add(10 * time.Second)
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for ; len(paths) == 0; <-poll.C {
		if paths, err = md.Messages("bob@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("message never reached the Maildir")
		}
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	h := header(string(b))
	for _, want := range []string{"Received: from client.example ([127.0.0.1])\r\n\tby hub01.contoso.com with ESMTP id ",
		"X-MS-Exchange-Organization-AuthAs: Anonymous\r\n", "Subject: to the mailbox\r\n"} {
		if !strings.Contains(h, want) {
			t.Errorf("mailbox copy lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "SCL") {
		t.Errorf("anonymous SCL survived:\n%s", h)
	}
}

// Relay through a send connector's smart host with the transport's own
// deliver.Deliverer: routing table, next hop, send-side header firewall.
func TestRelayThroughSmartHost(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	toFabrikam := smtptest.SendConnector(t, "To Fabrikam", connector.UsageInternet, "fabrikam.com", smtptest.SmartHost(sink))
	relay := smtptest.CustomConnector(t, "Relay", smtptest.AnonymousRelay)
	events := &smtptest.Events[transport.Event]{}
	tr := plainTransport(t, transport.WithReceiveConnector(relay), transport.WithSendConnector(toFabrikam), transport.WithTrace(events.Add))
	c := dialClient(t, tr.Addr("Relay").String())
	queuedID(t, submit(t, c, "app@contoso.com", []string{"x@fabrikam.com"}, message("Subject: out")))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := sink.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	body := string(msgs[0].Body)
	if !strings.Contains(body, "\tby hub01.contoso.com with ESMTP id ") || strings.Contains(body, "X-MS-Exchange-Organization-") {
		t.Errorf("relayed message:\n%s", header(body))
	}
	if msgs[0].Helo != serverName {
		t.Errorf("EHLO %q, want %q", msgs[0].Helo, serverName)
	}
	if len(events.Filter(ofKind(transport.EventDelivery))) == 0 {
		t.Error("no delivery events traced")
	}
}

// plainTransport starts a transport without the recording deliverers.
func plainTransport(t *testing.T, opts ...transport.Option) *transport.Transport {
	t.Helper()
	base := []transport.Option{transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...)}
	return smtptest.NewTransport(t, append(base, opts...)...)
}

// Two connectors share one socket; each connection is served by the
// connector whose remote range fits best, with its own banner.
func TestConnectorsShareABinding(t *testing.T) {
	narrow := smtptest.CustomConnector(t, "Loopback one", func(c *connector.ReceiveConfig) {
		c.PermissionGroups = perms.AnonymousUsers
		c.Banner = "220 narrow connector"
	})
	wideCfg := connector.NewReceiveConfig("Loopback net", connector.UsageCustom)
	wideCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(loopback)}
	wideCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.0/8")}
	wideCfg.PermissionGroups = perms.AnonymousUsers
	wideCfg.Banner = "220 wide connector"
	wide, err := wideCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	tr := plainTransport(t, transport.WithReceiveConnector(narrow, wide))
	addr := tr.Addr("Loopback one").String()
	if other := tr.Addr("Loopback net").String(); other != addr {
		t.Fatalf("shared binding got two sockets: %s, %s", addr, other)
	}
	if _, got := smtptest.Dial(t, addr); got != "220 narrow connector" {
		t.Errorf("from 127.0.0.1: %q", got)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil || line != "220 wide connector\r\n" {
		t.Errorf("from 127.0.0.2: %q, %v", line, err)
	}
}

// STARTTLS presents the certificate that matches the connector's FQDN.
func TestCertificateChosenByFQDN(t *testing.T) {
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.Fqdn = "mail.contoso.com" })
	tr := plainTransport(t, transport.WithReceiveConnector(rc),
		transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate("other.example"), testPKI.Certificate("mail.contoso.com"))))
	c := dialStartTLS(t, tr.Addr("From Internet").String(), testPKI.ClientTLSConfig("mail.contoso.com"))
	if err := c.Noop(); err != nil {
		t.Fatal(err)
	}
}

type fakeReverse map[string][]string

func (f fakeReverse) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return f[addr], nil
}

// The client's reverse DNS name goes into Received when a resolver is set.
func TestReceivedShowsReverseDNS(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)),
		transport.WithServerOptions(smtpx.WithReverseLookup(fakeReverse{"127.0.0.1": {"mx.fabrikam.com."}})))
	c := dialClient(t, e.firstAddr(t))
	queuedID(t, submit(t, c, "x@fabrikam.com", []string{"a@contoso.com", "b@contoso.com"}, message("Subject: two")))
	h := header(e.local.Wait(t).Body)
	if !strings.HasPrefix(h, "Received: from client.example (mx.fabrikam.com [127.0.0.1])\r\n\tby hub01.contoso.com with ESMTP id ") {
		t.Errorf("Received:\n%s", h)
	}
	if strings.Contains(h, "\tfor <") {
		t.Errorf("Received names one of several recipients:\n%s", h)
	}
}

// What EHLO advertises follows the connector.
func TestEHLOAdvertisement(t *testing.T) {
	cert := transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName)))
	tests := []struct {
		name      string
		rc        *connector.ReceiveConnector
		opts      []transport.Option
		has, lack []string
	}{
		{"internet", smtptest.InternetConnector(t), []transport.Option{cert}, []string{"SIZE 10485760", "STARTTLS", "LIMITS RCPTMAX=200", "DSN", "CHUNKING"}, []string{"AUTH"}},
		{"internet without certificate", smtptest.InternetConnector(t), nil, []string{"SIZE 10485760"}, []string{"STARTTLS", "AUTH"}},
		{"size bypass possible", internalConnector(t), []transport.Option{cert}, []string{"\nSIZE\n", "STARTTLS"}, []string{"SIZE 1"}},
		{"client before TLS", clientConnector(t), []transport.Option{cert, transport.WithServerOptions(smtpx.WithAuthenticator(users()))}, []string{"STARTTLS"}, []string{"AUTH"}},
		{"basic auth in plaintext", smtptest.CustomConnector(t, "Plain auth", func(c *connector.ReceiveConfig) {
			c.PermissionGroups = perms.ExchangeUsers
			c.AuthMechanism = auth.BasicAuth
		}),
			[]transport.Option{transport.WithServerOptions(smtpx.WithAuthenticator(users()))}, []string{"AUTH PLAIN LOGIN"}, []string{"STARTTLS"}},
		{"basic auth without an authenticator", smtptest.CustomConnector(t, "Plain auth", func(c *connector.ReceiveConfig) {
			c.PermissionGroups = perms.ExchangeUsers
			c.AuthMechanism = auth.BasicAuth
		}),
			nil, nil, []string{"AUTH"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := plainTransport(t, append([]transport.Option{transport.WithReceiveConnector(tc.rc)}, tc.opts...)...)
			r, _ := smtptest.Dial(t, tr.Addr(tc.rc.Name()).String())
			got := r.Cmd("EHLO client.example") + "\n"
			for _, want := range tc.has {
				if !strings.Contains(got, want) {
					t.Errorf("EHLO lacks %q:\n%s", want, got)
				}
			}
			for _, bad := range tc.lack {
				if strings.Contains(got, bad) {
					t.Errorf("EHLO has %q:\n%s", bad, got)
				}
			}
		})
	}
}
