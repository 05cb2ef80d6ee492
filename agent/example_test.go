package agent_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/hubedge/hubedge/agent"
)

// noSpamFrom refuses one sender domain at MAIL FROM and rates the rest.
type noSpamFrom struct{}

func (noSpamFrom) OnMailCommand(_ context.Context, e *agent.CommandEvent) error {
	if strings.HasSuffix(e.Arg, "@spam.example") {
		return agent.Reject(550, "5.7.1", "Sender denied")
	}
	return nil
}

func (noSpamFrom) OnEndOfData(_ context.Context, e *agent.MessageEvent) error {
	e.SetSCL(1)
	return nil
}

func Example() {
	chain := agent.New()
	if err := chain.Register("No spam.example", noSpamFrom{}, agent.Priority(0)); err != nil {
		panic(err)
	}
	// What a receive session does, event by event.
	ctx := context.Background()
	conn := chain.Open(agent.Session{Connector: "Default internet"})
	defer conn.Disconnect(ctx)
	if r := conn.Mail(ctx, "bulk@spam.example", nil); r != nil {
		fmt.Println(r.String())
	}
	if r := conn.Mail(ctx, "alice@fabrikam.com", nil); r == nil {
		fmt.Println("250 accepted")
	}
	m := agent.NewMessage([]agent.Field{{Name: "Subject", Value: " hi"}}, "bob@contoso.com")
	if r := conn.EndOfData(ctx, m); r == nil {
		fmt.Println(m.Header[1].Name + ":" + m.Header[1].Value)
	}
	// Output:
	// 550 5.7.1 Sender denied
	// 250 accepted
	// X-MS-Exchange-Organization-SCL: 1
}
