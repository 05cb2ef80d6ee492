package transport_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/local"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

func TestRouter(t *testing.T) {
	send := []*connector.SendConnector{
		smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*"),
		smtptest.SendConnector(t, "To Fabrikam", connector.UsageCustom, "fabrikam.com", func(c *connector.SendConfig) {
			c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("[10.0.0.1]"), connector.MustParseSmartHost("relay.fabrikam.com")}
			c.DNSRoutingEnabled = false
		}),
		smtptest.SendConnector(t, "Via Hub02", connector.UsageCustom, "tailspintoys.com", func(c *connector.SendConfig) {
			c.SourceTransportServers = []string{"hub02.contoso.com"}
		}),
		smtptest.SendConnector(t, "Via us and Hub02", connector.UsageCustom, "adatum.com", func(c *connector.SendConfig) {
			c.SourceTransportServers = []string{"HUB01.contoso.com", "hub02.contoso.com"}
		}),
		smtptest.SendConnector(t, "To Hygiene", connector.UsageCustom, "", func(c *connector.SendConfig) {
			c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("[10.0.0.9]")}
			c.DNSRoutingEnabled = false
			c.LinkedReceiveConnector = "From Internet"
			c.MaxMessageSize = connector.Unlimited
		}),
	}
	dir, err := local.NewStaticDirectory("known@relay.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	domains, err := routing.NewAcceptedDomains(contoso)
	if err != nil {
		t.Fatal(err)
	}
	table, err := transport.NewRoutingTable(serverName, "Default-First-Site-Name", send)
	if err != nil {
		t.Fatal(err)
	}
	r := transport.NewRouter(transport.RouterConfig{Server: serverName, Site: "Default-First-Site-Name",
		Domains: domains, Table: table, SendConnectors: send,
		Directory: dir})
	tests := []struct {
		rcpt, rc string
		want     queue.NextHop
	}{
		{"bob@contoso.com", "", queue.NextHop{Kind: "MailboxDelivery", Domain: "contoso.com"}},
		{"known@relay.contoso.com", "", queue.NextHop{Kind: "MailboxDelivery", Domain: "relay.contoso.com"}},
		{"other@relay.contoso.com", "", queue.NextHop{Kind: "DnsConnectorDelivery", Connector: "To Internet", Domain: "relay.contoso.com"}},
		{"x@fabrikam.com", "", queue.NextHop{Kind: "SmartHostConnectorDelivery", Connector: "To Fabrikam", Domain: "[10.0.0.1],relay.fabrikam.com"}},
		{"x@Sales.Fabrikam.com", "", queue.NextHop{Kind: "DnsConnectorDelivery", Connector: "To Internet", Domain: "sales.fabrikam.com"}},
		{"x@tailspintoys.com", "", queue.NextHop{Kind: "SmtpRelayToRemoteTransportServer", Connector: "Via Hub02", Domain: "hub02.contoso.com"}},
		{"x@adatum.com", "", queue.NextHop{Kind: "DnsConnectorDelivery", Connector: "Via us and Hub02", Domain: "adatum.com"}},
		{"bob@contoso.com", "from internet", queue.NextHop{Kind: "SmartHostConnectorDelivery", Connector: "To Hygiene", Domain: "[10.0.0.9]"}},
		{"x@fabrikam.com", "From Internet", queue.NextHop{Kind: "SmartHostConnectorDelivery", Connector: "To Hygiene", Domain: "[10.0.0.9]"}},
		{"bob@contoso.com", "Client", queue.NextHop{Kind: "MailboxDelivery", Domain: "contoso.com"}},
	}
	for _, tc := range tests {
		env := &queue.Envelope{ReceiveConnector: tc.rc}
		got, err := r.Route(context.Background(), env, queue.Recipient{Address: tc.rcpt})
		if err != nil || got != tc.want {
			t.Errorf("Route(%s via %q) = %+v, %v; want %+v", tc.rcpt, tc.rc, got, err, tc.want)
		}
	}
}

func TestRouterFailures(t *testing.T) {
	r := transport.NewRouter(transport.RouterConfig{Server: serverName})
	_, err := r.Route(context.Background(), &queue.Envelope{}, queue.Recipient{Address: "x@fabrikam.com"})
	if !errors.Is(err, queue.ErrUnroutable) || !errors.Is(err, routing.ErrUnroutable) {
		t.Errorf("no route: %v", err)
	}
	_, err = r.Route(context.Background(), &queue.Envelope{}, queue.Recipient{Address: "x@[10.0.0.1]"})
	var res *queue.Result
	if !errors.As(err, &res) || res.Code != 550 || res.Enhanced != "5.1.3" {
		t.Errorf("bad address: %v", err)
	}
}
