package agent_test

import (
	"context"
	"testing"

	"github.com/hubedge/hubedge/agent"
)

type noop struct{}

func (noop) OnConnect(context.Context, *agent.CommandEvent) error      { return nil }
func (noop) OnMailCommand(context.Context, *agent.CommandEvent) error  { return nil }
func (noop) OnRcptCommand(context.Context, *agent.CommandEvent) error  { return nil }
func (noop) OnEndOfData(context.Context, *agent.MessageEvent) error    { return nil }
func (noop) OnDisconnect(context.Context, *agent.CommandEvent) error   { return nil }
func (noop) OnEndOfHeaders(context.Context, *agent.MessageEvent) error { return nil }
func (noop) OnDataCommand(context.Context, *agent.CommandEvent) error  { return nil }
func (noop) OnEhloCommand(context.Context, *agent.CommandEvent) error  { return nil }

// session raises the events of one one-recipient message.
func session(ctx context.Context, c *agent.Chain, m *agent.Message) {
	k := c.Open(agent.Session{Connector: "Default"})
	k.Connect(ctx)
	k.Ehlo(ctx, "mx.fabrikam.com")
	k.Mail(ctx, "a@fabrikam.com", nil)
	k.Rcpt(ctx, "b@contoso.com", nil)
	k.Data(ctx)
	k.EndOfHeaders(ctx, m)
	k.EndOfData(ctx, m)
	k.Disconnect(ctx)
}

func BenchmarkSession(b *testing.B) {
	withAgents := func(opts ...agent.RegisterOption) *agent.Chain {
		c := agent.New()
		for _, n := range []string{"a", "b", "c"} {
			if err := c.Register(n, noop{}, opts...); err != nil {
				b.Fatal(err)
			}
		}
		return c
	}
	for _, bc := range []struct {
		name  string
		chain *agent.Chain
	}{
		{"empty", agent.New()},
		{"3 no-op agents, no deadline", withAgents(agent.Timeout(0))},
		{"3 no-op agents, deadline", withAgents()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			m := agent.NewMessage(nil, "b@contoso.com")
			b.ReportAllocs()
			for b.Loop() {
				session(ctx, bc.chain, m)
			}
		})
	}
}
