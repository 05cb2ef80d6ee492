package agent

import (
	"context"
	"errors"
)

// ErrAgentFailed is what a routing event returns when a fail-closed agent
// failed, timed out, panicked or tried to answer SMTP: the categorizer
// should defer the message and retry later.
var ErrAgentFailed = errors.New("agent: routing agent failed")

// The routing events, raised by the categorizer for a message taken from
// the submission queue, in this order. Agents' edits are applied to m
// (recipients dropped with an NDR, redirected, added, routing overrides,
// headers, SCL). m.Body may be nil.

// Submitted raises OnSubmittedMessage when the message enters the
// submission queue.
func (c *Chain) Submitted(ctx context.Context, m *Message) error {
	return c.routing(ctx, EventSubmitted, m)
}

// Resolved raises OnResolvedMessage after recipients are resolved and
// before the next hops are chosen; agents may SetRoutingOverride.
func (c *Chain) Resolved(ctx context.Context, m *Message) error {
	return c.routing(ctx, EventResolved, m)
}

// Routed raises OnRoutedMessage after each recipient has its next hop.
func (c *Chain) Routed(ctx context.Context, m *Message) error {
	return c.routing(ctx, EventRouted, m)
}

// Categorized raises OnCategorizedMessage just before the message goes to
// its delivery queues.
func (c *Chain) Categorized(ctx context.Context, m *Message) error {
	return c.routing(ctx, EventCategorized, m)
}

func (c *Chain) routing(ctx context.Context, ev Event, m *Message) error {
	p := c.snap.Load().routing
	if len(p.ev[ev]) == 0 {
		return nil
	}
	if r := c.message(ctx, p, ev, Session{}, nil, m); r != nil {
		return ErrAgentFailed
	}
	return nil
}

// HasRoutingAgents reports whether an enabled agent subscribes to a routing
// event, so that a categorizer can skip building a Message for none.
func (c *Chain) HasRoutingAgents() bool {
	p := c.snap.Load().routing
	for ev := EventSubmitted; ev <= EventCategorized; ev++ {
		if len(p.ev[ev]) > 0 {
			return true
		}
	}
	return false
}
