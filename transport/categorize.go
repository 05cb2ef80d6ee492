package transport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/queue"
)

// maxRoutingHeader bounds how much of a queued message is read for its
// header when routing agents run: the receive session already limited the
// header, so this only guards against a message that has no end of header.
const maxRoutingHeader = 1 << 20

var _ queue.MessageRouter = liveRouter{}

// RouteMessage implements queue.MessageRouter. Without routing agents it
// routes each recipient as Route does. With them it raises, around that
// routing, OnSubmittedMessage and OnResolvedMessage (where agents redirect,
// add or drop recipients, or set a routing override: the domain to route
// the recipient as), then OnRoutedMessage and OnCategorizedMessage, whose
// recipients carry their next-hop domain in NextHop. A recipient changed
// by the last two is routed again. A failing fail-closed agent defers the
// whole message. The header fields agents add, change or remove (the SCL
// among them) replace the queued message's header
// (queue.Message.ReplaceHeader); the body is not theirs to change at this
// stage.
func (r liveRouter) RouteMessage(ctx context.Context, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Route, error) {
	router := r.t.gen.Load().router
	chain := r.t.opts.agents
	if chain == nil || !chain.HasRoutingAgents() {
		routes := make([]queue.Route, len(rcpts))
		for i, rc := range rcpts {
			routes[i].Recipient = rc
			routes[i].Hop, routes[i].Err = router.Route(ctx, &msg.Envelope, rc)
		}
		return routes, nil
	}
	header, err := queuedHeader(msg)
	if err != nil {
		return nil, err
	}
	addrs := make([]string, len(rcpts))
	for i, rc := range rcpts {
		addrs[i] = rc.Address
	}
	m := agent.NewMessage(slices.Clone(header), addrs...)
	if v, ok := agent.HeaderValue(header, agent.SCLHeader); ok {
		if n, err := strconv.Atoi(v); err == nil {
			m.SCL = n
		}
	}
	c := categorization{router: router, env: &msg.Envelope, rcpts: rcpts, m: m}
	for _, step := range []func(context.Context, *agent.Message) error{chain.Submitted, chain.Resolved, c.route, chain.Routed, c.route, chain.Categorized, c.route} {
		if err := step(ctx, m); err != nil {
			return nil, err
		}
	}
	if !slices.Equal(m.Header, header) {
		msg.ReplaceHeader(agent.AppendHeader(nil, m.Header))
	}
	return c.routes(ctx), nil
}

// categorization is the routing of one message between its routing events.
type categorization struct {
	router *Router
	env    *queue.Envelope
	rcpts  []queue.Recipient // as the queue gave them
	m      *agent.Message
	done   []routed // by index in m.Recipients
}

// routed is a recipient's routing and the NextHop shown to agents.
type routed struct {
	addr, shown string
	hop         queue.NextHop
	err         error
}

// route routes the recipients that are new or that an agent changed
// since they were last routed.
func (c *categorization) route(ctx context.Context, m *agent.Message) error {
	for i := range m.Recipients {
		rc := &m.Recipients[i]
		if rc.Dropped {
			continue
		}
		if i < len(c.done) && c.done[i].addr == rc.Address && c.done[i].shown == rc.NextHop {
			continue
		}
		d := routed{addr: rc.Address}
		target := c.recipient(i)
		// The next hop shown after routing is no override: only one an
		// agent set is.
		if rc.NextHop != "" && (i >= len(c.done) || rc.NextHop != c.done[i].shown) {
			local, _, _ := strings.Cut(rc.Address, "@")
			target.Address = local + "@" + rc.NextHop
		}
		d.hop, d.err = c.router.Route(ctx, c.env, target)
		if d.err == nil {
			d.shown = d.hop.Domain
		}
		rc.NextHop = d.shown
		for len(c.done) <= i {
			c.done = append(c.done, routed{})
		}
		c.done[i] = d
	}
	return nil
}

// recipient is the queue recipient m.Recipients[i] stands for: the
// original's DSN parameters under its current address.
func (c *categorization) recipient(i int) queue.Recipient {
	var r queue.Recipient
	if i < len(c.rcpts) {
		r = c.rcpts[i]
	}
	r.Address = c.m.Recipients[i].Address
	return r
}

// routes turns the agents' verdict into the queue's.
func (c *categorization) routes(ctx context.Context) []queue.Route {
	m := c.m
	routes := make([]queue.Route, 0, len(m.Recipients))
	for i, rc := range m.Recipients {
		if i >= len(c.rcpts) && (rc.Dropped || m.Discard || m.Quarantine != "") {
			continue // an added recipient that is not delivered after all
		}
		rt := queue.Route{Recipient: c.recipient(i)}
		switch {
		case m.Discard || m.Quarantine != "":
			rt.Drop = true
		case rc.Dropped && rc.NDR != nil:
			res := &queue.Result{Code: rc.NDR.Code, Enhanced: rc.NDR.Enhanced, Text: rc.NDR.Text}
			if !res.Permanent() { // an NDR is a permanent failure
				res.Code = 550
				if strings.HasPrefix(res.Enhanced, "4.") {
					res.Enhanced = "5" + res.Enhanced[1:]
				}
			}
			rt.Err = res
		case rc.Dropped:
			rt.Drop = true
		default:
			rt.Hop, rt.Err = c.done[i].hop, c.done[i].err
		}
		routes = append(routes, rt)
	}
	if m.Quarantine != "" && !m.Discard {
		q := queue.Recipient{Address: m.Quarantine}
		hop, err := c.router.Route(ctx, c.env, q)
		routes = append(routes, queue.Route{Recipient: q, Hop: hop, Err: err})
	}
	return routes
}

// queuedHeader reads the header fields of a queued message.
func queuedHeader(msg *queue.Message) ([]agent.Field, error) {
	rc, err := msg.Open()
	if err != nil {
		return nil, fmt.Errorf("transport: read header for routing agents: %w", err)
	}
	defer rc.Close()
	block, err := headerBlock(io.LimitReader(rc, maxRoutingHeader))
	if err != nil {
		return nil, fmt.Errorf("transport: read header for routing agents: %w", err)
	}
	return agent.ParseHeader(block), nil
}

// headerBlock returns what precedes the first empty line of a message (all
// of it when there is none).
func headerBlock(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	var block []byte
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			block = append(block, line...) // a long line: read on
			continue
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 && len(line) > 0 && (len(block) == 0 || block[len(block)-1] == '\n') {
			return block, nil // the empty line
		}
		block = append(block, line...)
		switch {
		case err == io.EOF:
			return block, nil
		case err != nil:
			return nil, err
		}
	}
}
