package connectionfilter_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/connectionfilter"
)

func Example() {
	block, err := connectionfilter.ParseRange("203.0.113.0/24")
	if err != nil {
		panic(err)
	}
	f, err := connectionfilter.New(connectionfilter.Config{
		BlockList:          []connectionfilter.Entry{block},
		BypassedRecipients: []string{"postmaster@contoso.com"},
	})
	if err != nil {
		panic(err)
	}
	chain := agent.New()
	if err := chain.Register(connectionfilter.Name, f, agent.Priority(connectionfilter.Priority)); err != nil {
		panic(err)
	}
	ctx := context.Background()
	conn := chain.Open(agent.Session{Remote: netip.MustParseAddrPort("203.0.113.7:50000")})
	conn.Connect(ctx) // judged here, answered at RCPT
	conn.Mail(ctx, "someone@fabrikam.com", nil)
	fmt.Println(conn.Rcpt(ctx, "bob@contoso.com", nil).String())
	fmt.Println(conn.Rcpt(ctx, "postmaster@contoso.com", nil) == nil)
	// Output:
	// 550 5.7.1 External client with IP address 203.0.113.7 does not have permissions to submit to this server
	// true
}
