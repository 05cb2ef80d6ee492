package deliver_test

import (
	"fmt"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// The Router picks a connector; HopFor turns it into the queue's next hop.
func ExampleHopFor() {
	smart, _ := connector.NewSend("To Relay", connector.WithAddressSpaceList("*"),
		connector.WithSmartHostList("[10.0.0.1],relay.contoso.com"))
	internet, _ := connector.NewSend("To Internet", connector.WithUsage(connector.UsageInternet),
		connector.WithAddressSpaceList("*"))
	remote, _ := connector.NewSend("Edge Out", connector.WithAddressSpaceList("*"),
		connector.WithSourceTransportServers("edge1.contoso.com", "edge2.contoso.com"))

	fmt.Println(deliver.HopFor(smart, "fabrikam.com").Key())
	fmt.Println(deliver.HopFor(internet, "Fabrikam.COM").Key())
	fmt.Println(deliver.RelayHop(remote).Key())
	// Output:
	// SmartHostConnectorDelivery:To Relay:[10.0.0.1],relay.contoso.com
	// DnsConnectorDelivery:To Internet:fabrikam.com
	// SmtpRelayToRemoteTransportServer:Edge Out:edge1.contoso.com,edge2.contoso.com
}
