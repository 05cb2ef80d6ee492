package deliver_test

import (
	"errors"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

func TestRelayToSourceServersRotatesWithMutualTLS(t *testing.T) {
	pki := smtptest.NewPKI(t)
	hub2 := smtptest.NewSink(t, smtptest.WithPKI(pki, "hub2.contoso.com"), smtptest.Hostname("hub2.contoso.com"))
	hub3 := smtptest.NewSink(t, smtptest.WithPKI(pki, "hub3.contoso.com"), smtptest.Hostname("hub3.contoso.com"))
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) {
		c.SourceTransportServers = []string{"hub2.contoso.com", "hub3.contoso.com"}
	})
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithRootCAs(pki.Pool()),
		deliver.WithClientCertificate(pki.Certificate("hub1.contoso.com")),
		deliver.WithTransportServer("hub2.contoso.com", hub2.Addr()), deliver.WithTransportServer("HUB3.contoso.com", hub3.Addr()),
		deliver.WithMaxIdleConnsPerHop(0)) // one connection per message, to see the rotation
	hop := deliver.RelayHop(sc)
	h := newHarness(t, d, hop)
	for i := range 2 {
		if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
			t.Fatalf("message %d: res=%+v err=%v", i, res, err)
		}
	}
	if len(hub2.Messages()) != 1 || len(hub3.Messages()) != 1 {
		t.Fatalf("hub2 %d, hub3 %d messages", len(hub2.Messages()), len(hub3.Messages()))
	}
	m := hub2.Messages()[0]
	if !m.TLS || m.TLSServerName != "hub2.contoso.com" || len(m.PeerCertificates) == 0 ||
		m.PeerCertificates[0].Subject.CommonName != "hub1.contoso.com" {
		t.Fatalf("session facts: tls=%v sni=%q certs=%d", m.TLS, m.TLSServerName, len(m.PeerCertificates))
	}
	// Between our own servers every header class survives, although the
	// connector itself (Internet usage) would strip org and forest headers.
	if !m.Header.Has("X-MS-Exchange-Organization-SCL") || !m.Header.Has("X-MS-Exchange-Forest-RulesExecuted") {
		t.Fatalf("headers stripped on relay: %v", m.Header)
	}

	hub2.Stop() // the third connection starts with hub2 again and fails over
	if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].RemoteMTA != "hub3.contoso.com" {
		t.Fatalf("failover: res=%+v err=%v", res, err)
	}
}

func TestRelayWithoutClientCertificateDefers(t *testing.T) {
	pki := smtptest.NewPKI(t)
	hub2 := smtptest.NewSink(t, smtptest.WithPKI(pki, "hub2.contoso.com"))
	sc := smtptest.SendConnector(t, "Out", connector.UsageCustom, "*", func(c *connector.SendConfig) {
		c.SourceTransportServers = []string{"hub2.contoso.com", "hub9.contoso.com"}
	})
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithRootCAs(pki.Pool()),
		deliver.WithTransportServer("hub2.contoso.com", hub2.Addr()))
	h := newHarness(t, d, deliver.RelayHop(sc))
	res, err := h.send(queue.Envelope{}, testBody)
	var he *deliver.HopError
	if res != nil || !errors.As(err, &he) || len(he.Attempts) != 2 || !errors.Is(err, auth.ErrInvalidPolicy) || !errors.Is(err, deliver.ErrNoHosts) {
		t.Fatalf("res=%v err=%v", res, err)
	}
	if len(hub2.Messages()) != 0 {
		t.Fatal("delivered without mutual TLS")
	}
}

func TestExchangeServerSmartHostKeepsOrgHeaders(t *testing.T) {
	pki := smtptest.NewPKI(t)
	edge := smtptest.NewSink(t, smtptest.WithPKI(pki, "mail.fabrikam.com"))
	host, dns := smartHostByName(t, edge)
	// Internal usage with smart hosts defaults to ExchangeServer auth.
	sc := smtptest.SendConnector(t, "To Edge", connector.UsageInternal, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(host)}
		c.DNSRoutingEnabled = false
	})
	if sc.Config().SmartHostAuthMechanism != auth.SmartHostExchangeServer {
		t.Fatalf("auth = %v", sc.Config().SmartHostAuthMechanism)
	}
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)), deliver.WithRootCAs(pki.Pool()),
		deliver.WithClientCertificate(pki.Certificate("hub1.contoso.com")))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	m := edge.Messages()[0]
	if len(m.PeerCertificates) == 0 || m.AuthUser != "" || !m.Header.Has("X-MS-Exchange-Organization-SCL") || !m.Header.Has("Received") {
		t.Fatalf("facts: certs=%d auth=%q header=%v", len(m.PeerCertificates), m.AuthUser, m.Header)
	}
}
