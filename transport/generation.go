package transport

import (
	"context"
	"fmt"
	"sync"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/local"
)

// Config is the part of a transport's configuration that Reconfigure can
// replace while it runs: connectors and accepted domains. Everything else
// (server name, site, queue, certificates, authenticator, deliverers
// given with WithDeliverer or WithLocalDelivery) is fixed by New.
type Config struct {
	ReceiveConnectors []*connector.ReceiveConnector
	SendConnectors    []*connector.SendConnector
	AcceptedDomains   []routing.AcceptedDomain
}

// generation is the routing state built from one Config: the Router and
// the outbound deliverer. New delivery attempts use the current one;
// deliveries in progress finish on the one they began with, whose
// deliverer closes when the last of them ends.
type generation struct {
	cfg    Config
	router *Router
	remote queue.Deliverer    // outbound deliverer
	owned  *deliver.Deliverer // closed once retired and idle, when built here

	mu       sync.Mutex
	inflight int  // outbound deliveries using remote
	retired  bool // a newer generation replaced this one
}

// newGeneration validates the routing part of c and builds its state.
func (t *Transport) newGeneration(c Config) (*generation, error) {
	o := &t.opts
	domains, err := routing.NewAcceptedDomains(c.AcceptedDomains)
	if err != nil {
		return nil, err
	}
	table, err := NewRoutingTable(o.serverName, o.site, c.SendConnectors, o.routingOpts...)
	if err != nil {
		return nil, err
	}
	g := &generation{cfg: c, router: NewRouter(RouterConfig{Server: o.serverName, Site: o.site, Domains: domains,
		Table: table, SendConnectors: c.SendConnectors, Directory: o.directory})}
	// Built last: nothing above can fail after the deliverer exists.
	if err := t.buildDeliverer(g); err != nil {
		return nil, err
	}
	return g, nil
}

// buildDeliverer sets up outbound delivery: the caller's Deliverer, or a
// deliver.Deliverer over the send connectors.
func (t *Transport) buildDeliverer(g *generation) error {
	if t.opts.remote != nil || len(g.cfg.SendConnectors) == 0 {
		g.remote = t.opts.remote
		return nil
	}
	do := []deliver.Option{
		deliver.WithSendConnectors(g.cfg.SendConnectors...),
		deliver.WithServerName(t.opts.serverName),
		deliver.WithLogger(t.log),
		deliver.WithTrace(func(e deliver.Event) {
			t.emit(Event{Event: smtpx.Event{Kind: EventDelivery, Err: e.Err}, Delivery: &e})
		}),
	}
	d, err := deliver.New(append(do, t.opts.deliver...)...)
	if err != nil {
		return err
	}
	g.remote, g.owned = d, d
	return nil
}

// acquireRemote returns the current generation with one more delivery
// counted against its deliverer; releaseRemote ends it.
func (t *Transport) acquireRemote() *generation {
	for {
		g := t.gen.Load()
		g.mu.Lock()
		if !g.retired {
			g.inflight++
			g.mu.Unlock()
			return g
		}
		// Replaced since the Load: the newer one is already stored.
		g.mu.Unlock()
	}
}

func (g *generation) releaseRemote() {
	g.mu.Lock()
	g.inflight--
	idle := g.retired && g.inflight == 0
	g.mu.Unlock()
	if idle {
		g.closeDeliverer()
	}
}

// retire marks g replaced; its deliverer closes when its last delivery
// ends (at once when none is running).
func (g *generation) retire() {
	g.mu.Lock()
	g.retired = true
	idle := g.inflight == 0
	g.mu.Unlock()
	if idle {
		g.closeDeliverer()
	}
}

func (g *generation) closeDeliverer() {
	if g.owned != nil {
		g.owned.Close()
	}
}

// liveRouter is the Router the queue holds: it routes by the current
// generation, so a reconfiguration needs no new queue.
type liveRouter struct{ t *Transport }

func (r liveRouter) Route(ctx context.Context, env *queue.Envelope, rcpt queue.Recipient) (queue.NextHop, error) {
	return r.t.gen.Load().router.Route(ctx, env, rcpt)
}

// dispatcher hands MailboxDelivery hops to the local deliverer and every
// other hop to the current generation's remote one.
type dispatcher struct {
	t     *Transport
	local queue.Deliverer
}

func (d dispatcher) Deliver(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	dl := d.local
	if hop.Kind != local.KindMailbox {
		g := d.t.acquireRemote()
		defer g.releaseRemote()
		dl = g.remote
	}
	if dl == nil {
		return nil, fmt.Errorf("%w (%s)", ErrNoDeliverer, hop.Kind)
	}
	return dl.Deliver(ctx, hop, msg, rcpts)
}
