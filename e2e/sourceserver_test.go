package e2e

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// A send connector sourced only on hub02 is used from hub01 by relaying the
// message to hub02 over mutual TLS (the seeds' "delivered to a source server
// for that connector for relay"); hub02 authenticates hub01 as a transport
// server and delivers through the connector itself.
func TestRelayToSourceTransportServer(t *testing.T) {
	fabrikam := smtptest.NewSink(t, smtptest.Hostname("mx.fabrikam.com"))
	// Both hubs know the organization's connector, as they would from the
	// directory; only hub02 is a source server of it.
	toInternet := func() *connector.SendConnector {
		sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", smtptest.SmartHost(fabrikam), func(c *connector.SendConfig) {
			c.SourceTransportServers = []string{"hub02.contoso.com"}
		})
		return sc
	}

	// hub02: its default receive connector authenticates transport servers
	// by their certificates (ExchangeServer).
	intraOrgCfg := connector.NewReceiveConfig("Default HUB02", connector.UsageCustom)
	intraOrgCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(loopback)}
	intraOrgCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.0/8")}
	intraOrgCfg.Fqdn = "hub02.contoso.com"
	intraOrgCfg.AuthMechanism = auth.TLS | auth.ExchangeServer
	intraOrgCfg.PermissionGroups = perms.ExchangeServers
	intraOrg, err := intraOrgCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	hub02 := smtptest.NewTransport(t, transport.WithServerName("hub02.contoso.com"), transport.WithAcceptedDomain(contoso...),
		transport.WithReceiveConnector(intraOrg), transport.WithSendConnector(toInternet()),
		transport.WithServerOptions(smtpx.WithTLSCertificate(pki.Certificate("hub02.contoso.com"))),
		transport.WithServerOptions(smtpx.WithPeerVerifier(&auth.PeerVerifier{Roots: pki.Pool()})))

	// hub01: takes the client's message and relays it to hub02.
	submitCfg := connector.NewReceiveConfig("Relay HUB01", connector.UsageCustom)
	submitCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(loopback)}
	submitCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
	submitCfg.AuthMechanism = auth.ExternalAuthoritative
	submitCfg.PermissionGroups = perms.ExchangeServers
	submit, err := submitCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	var events smtptest.Events[transport.Event]
	hub01 := smtptest.NewTransport(t, transport.WithServerName("hub01.contoso.com"), transport.WithAcceptedDomain(contoso...),
		transport.WithReceiveConnector(submit), transport.WithSendConnector(toInternet()),
		transport.WithDeliverOptions(deliver.WithRootCAs(pki.Pool())), transport.WithDeliverOptions(deliver.WithClientCertificate(pki.Certificate("hub01.contoso.com"))),
		transport.WithDeliverOptions(deliver.WithTransportServer("hub02.contoso.com", addr(t, hub02, "Default HUB02"))),
		transport.WithTrace(events.Add))

	r, _ := smtptest.Dial(t, addr(t, hub01, "Relay HUB01"))
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.contoso.com", "250"}, smtptest.Step{"MAIL FROM:<alice@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@fabrikam.com>", "250"})
	if got := r.Data(message("Subject: via the source server", "X-MS-Exchange-Organization-SCL: -1")); !strings.HasPrefix(got, "250 2.6.0") {
		t.Fatalf("DATA: %s", got)
	}

	msgs, err := fabrikam.WaitMessages(t.Context(), 1)
	if err != nil {
		t.Fatalf("%v\nhub01 events:\n%s", err, eventsString(events.All()))
	}
	h := msgs[0].Header
	var by []string
	for f := h.FieldsByKey("Received"); f.Next(); {
		by = append(by, f.Value())
	}
	// Newest first: hub02 stamped the relay from hub01 (TLS, authenticated
	// as a transport server), hub01 the client's submission.
	if len(by) != 2 || !strings.Contains(by[0], "by hub02.contoso.com with ESMTPS") || !strings.Contains(by[1], "by hub01.contoso.com") {
		t.Fatalf("Received fields: %q", by)
	}
	if got := h.Get("X-MS-Exchange-Organization-AuthMechanism"); got != "" {
		t.Errorf("the Internet connector leaked organization headers: AuthMechanism %q", got)
	}
	relayed := false
	for _, e := range events.All() {
		if e.Delivery != nil && (e.Delivery.Hop.Kind == deliver.KindRelay || e.Delivery.Kind == deliver.EventDial && e.Delivery.Host == "hub02.contoso.com") {
			relayed = true
		}
	}
	if !relayed {
		t.Errorf("hub01 did not dial a relay hop:\n%s", eventsString(events.All()))
	}
	if msgs[0].From != "alice@contoso.com" || len(msgs[0].To) != 1 || msgs[0].To[0] != "bob@fabrikam.com" {
		t.Errorf("envelope %s → %v", msgs[0].From, msgs[0].To)
	}
}
