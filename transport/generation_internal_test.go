package transport

import (
	"context"
	"errors"
	"testing"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// A delivery in progress at a reconfiguration keeps the old deliverer
// open; it closes when that delivery ends, and new deliveries use the new
// one.
func TestRetiredDelivererClosesWhenIdle(t *testing.T) {
	send := func(name string) *connector.SendConnector {
		cfg := connector.NewSendConfig(name, connector.UsageCustom)
		cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("fabrikam.com")}
		cfg.SmartHosts, cfg.DNSRoutingEnabled = []connector.SmartHost{connector.MustParseSmartHost("[127.0.0.1]:9")}, false
		sc, err := cfg.Build()
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	tr, err := New(WithServerName("hub01.contoso.com"), WithMemoryQueue(), WithSendConnector(send("Old")))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// An open deliverer answers a hop it does not know at once; a closed
	// one says it is closed.
	state := func(g *generation) error {
		_, err := g.owned.Deliver(context.Background(), queue.NextHop{Connector: "none"}, &queue.Message{}, nil)
		return err
	}
	old := tr.acquireRemote()
	if err := tr.Reconfigure(context.Background(), Config{SendConnectors: []*connector.SendConnector{send("New")}}); err != nil {
		t.Fatal(err)
	}
	if err := state(old); !errors.Is(err, deliver.ErrUnknownConnector) {
		t.Fatalf("old deliverer with a delivery in flight: %v", err)
	}
	cur := tr.acquireRemote()
	if cur == old {
		t.Fatal("a new delivery got the replaced generation")
	}
	cur.releaseRemote()
	old.releaseRemote()
	if err := state(old); !errors.Is(err, deliver.ErrClosed) {
		t.Errorf("old deliverer once idle: %v", err)
	}
	if err := state(cur); !errors.Is(err, deliver.ErrUnknownConnector) {
		t.Errorf("current deliverer: %v", err)
	}
}
