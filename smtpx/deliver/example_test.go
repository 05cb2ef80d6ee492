package deliver_test

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// The Router picks a connector; HopFor turns it into the queue's next hop.
func ExampleHopFor() {
	smartCfg := connector.NewSendConfig("To Relay", connector.UsageCustom)
	smartCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	smartCfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("[10.0.0.1]"), connector.MustParseSmartHost("relay.contoso.com")}
	smartCfg.DNSRoutingEnabled = false
	smart, _ := smartCfg.Build()
	internetCfg := connector.NewSendConfig("To Internet", connector.UsageInternet)
	internetCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	internet, _ := internetCfg.Build()
	remoteCfg := connector.NewSendConfig("Edge Out", connector.UsageCustom)
	remoteCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	remoteCfg.SourceTransportServers = []string{"edge1.contoso.com", "edge2.contoso.com"}
	remote, _ := remoteCfg.Build()

	fmt.Println(deliver.HopFor(smart, "fabrikam.com").Key())
	fmt.Println(deliver.HopFor(internet, "Fabrikam.COM").Key())
	fmt.Println(deliver.RelayHop(remote).Key())
	// Output:
	// SmartHostConnectorDelivery:To Relay:[10.0.0.1],relay.contoso.com
	// DnsConnectorDelivery:To Internet:fabrikam.com
	// SmtpRelayToRemoteTransportServer:Edge Out:edge1.contoso.com,edge2.contoso.com
}

// Deliver one message through a smart host: opportunistic STARTTLS, the
// Custom connector's header firewall, and one result per recipient.
func ExampleDeliverer() {
	tb := new(smtptest.Standalone)
	defer tb.Close()
	sink := smtptest.NewSink(tb, smtptest.Hostname("relay.fabrikam.com"))
	sink.Script("gone@fabrikam.com", "550 5.1.1 user unknown")
	host, port, _ := net.SplitHostPort(sink.Addr())
	scCfg := connector.NewSendConfig("To Relay", connector.UsageCustom)
	scCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	scCfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("[" + host + "]:" + port)}
	scCfg.DNSRoutingEnabled = false
	sc, err := scCfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}

	d, err := deliver.New(deliver.WithSendConnectors(sc), deliver.WithServerName("hub1.contoso.com"),
		deliver.WithTrace(func(e deliver.Event) {
			switch e.Kind {
			case deliver.EventDial:
				fmt.Println("dial", e.Host)
			case deliver.EventTLS:
				fmt.Println("tls", e.TLSVersion)
			case deliver.EventHeadersStripped:
				for _, r := range e.Removed {
					fmt.Println("stripped", r.Key)
				}
			case deliver.EventRecipient:
				fmt.Println(e.Recipient, e.Result.Code, e.Result.Enhanced)
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()

	// A queue routes every recipient to the connector's next hop and calls
	// the Deliverer; reports to the sender are parked in this example.
	done := make(chan []queue.Result, 1)
	q, err := queue.OpenMemory(
		queue.WithRouter(queue.RouterFunc(func(_ context.Context, env *queue.Envelope, r queue.Recipient) (queue.NextHop, error) {
			if env.From == "" {
				return queue.NextHop{}, queue.ErrUnroutable
			}
			_, domain, _ := strings.Cut(r.Address, "@")
			return deliver.HopFor(sc, domain), nil
		})),
		queue.WithDeliverer(queue.DelivererFunc(func(ctx context.Context, hop queue.NextHop, m *queue.Message, rc []queue.Recipient) ([]queue.Result, error) {
			res, err := d.Deliver(ctx, hop, m, rc)
			done <- res
			return res, err
		})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close(context.Background())
	body := "From: alice@contoso.com\r\nReceived: from client by hub1.contoso.com\r\n" +
		"X-MS-Exchange-Organization-SCL: -1\r\nSubject: hi\r\n\r\nhello\r\n"
	env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{
		{Address: "gone@fabrikam.com"}, {Address: "bob@fabrikam.com"}}}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader(body)); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range <-done {
		fmt.Println(r.String())
	}
	// Output:
	// dial 127.0.0.1
	// tls TLS 1.3
	// stripped Received
	// stripped X-Ms-Exchange-Organization-Scl
	// gone@fabrikam.com 550 5.1.1
	// bob@fabrikam.com 250 2.0.0
	// 550 5.1.1 user unknown
	// 250 2.0.0 OK: queued
}
