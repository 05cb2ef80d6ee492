package agent_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/connectionfilter"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/agent/recipientfilter"
	"github.com/hubedge/hubedge/agent/senderfilter"
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

// BenchmarkStandardAgents is one message through the list-based Edge
// agents (no DNS: no providers, no SPF), each with and without deadline.
func BenchmarkStandardAgents(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []agent.RegisterOption
	}{{"deadline", nil}, {"no deadline", []agent.RegisterOption{agent.Timeout(0)}}} {
		b.Run(bc.name, func(b *testing.B) {
			c := agent.New()
			cf, err := connectionfilter.New(connectionfilter.Config{BlockList: []connectionfilter.Entry{{First: netip.MustParseAddr("198.51.100.1"), Last: netip.MustParseAddr("198.51.100.255")}}})
			if err != nil {
				b.Fatal(err)
			}
			rf, err := recipientfilter.New(recipientfilter.Config{BlockedRecipients: []string{"x@contoso.com"}})
			if err != nil {
				b.Fatal(err)
			}
			ct, err := contentfilter.New(contentfilter.DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			for name, a := range map[string]any{
				connectionfilter.Name: cf, senderfilter.Name: senderfilter.New(senderfilter.Config{BlockedDomains: []string{"spam.example"}}),
				recipientfilter.Name: rf, contentfilter.Name: ct,
			} {
				if err := c.Register(name, a, bc.opts...); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				session(ctx, c, agent.NewMessage([]agent.Field{{Name: "From", Value: " a@fabrikam.com"}}, "b@contoso.com"))
			}
		})
	}
}
