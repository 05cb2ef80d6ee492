package senderfilter_test

import (
	"context"
	"fmt"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/senderfilter"
)

func Example() {
	chain := agent.New()
	f := senderfilter.New(senderfilter.Config{BlockedDomainsAndSubdomains: []string{"spam.example"}})
	if err := chain.Register(senderfilter.Name, f, agent.Priority(senderfilter.Priority)); err != nil {
		panic(err)
	}
	conn := chain.Open(agent.Session{Connector: "Default internet"})
	if r := conn.Mail(context.Background(), "bulk@mx1.spam.example", nil); r != nil {
		fmt.Println(r.String(), "close:", r.Disconnect)
	}
	// Output: 554 5.1.0 Sender Denied close: true
}
