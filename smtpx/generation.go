package smtpx

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// Config is the part of a transport's configuration that Reconfigure can
// replace while it runs: connectors and accepted domains. Everything else
// (server name, site, queue, certificates, authenticator, deliverers
// given with WithDeliverer or WithLocalDelivery) is fixed by NewTransport.
type Config struct {
	ReceiveConnectors []*connector.ReceiveConnector
	SendConnectors    []*connector.SendConnector
	AcceptedDomains   []routing.AcceptedDomain
}

// generation is everything built from one Config. A session keeps the
// generation it was admitted under (through its rcServer), so a
// transaction in progress ends under the rules it began with; new
// connections and new delivery attempts use the current one.
type generation struct {
	cfg        Config
	set        *connector.Set
	domains    *routing.AcceptedDomains
	router     *Router
	remote     queue.Deliverer    // outbound deliverer
	owned      *deliver.Deliverer // closed once retired and idle, when built here
	servers    map[string]*rcServer
	order      []*rcServer
	firewall   perms.Firewall
	localNames map[string]bool // this server's names, for MaxLocalHopCount

	mu       sync.Mutex
	inflight int  // outbound deliveries using remote
	retired  bool // a newer generation replaced this one
}

// newGeneration validates c and builds its state; prev (nil at first)
// lends its connection counts to connectors of the same name, so limits
// hold across a reconfiguration.
func (t *Transport) newGeneration(c Config, prev *generation) (*generation, error) {
	o := &t.opts
	g := &generation{cfg: c, servers: map[string]*rcServer{}, localNames: map[string]bool{o.serverName: true}}
	var err error
	if g.set, err = connector.NewSet(c.ReceiveConnectors...); err != nil {
		return nil, err
	}
	if g.domains, err = routing.NewAcceptedDomains(c.AcceptedDomains); err != nil {
		return nil, err
	}
	table, err := NewRoutingTable(o.serverName, o.site, c.SendConnectors, o.routingOpts...)
	if err != nil {
		return nil, err
	}
	g.router = NewRouter(RouterConfig{Server: o.serverName, Site: o.site, Domains: g.domains,
		Table: table, SendConnectors: c.SendConnectors, Directory: o.directory})
	for _, rc := range g.set.Connectors() {
		var counts *admission
		if prev != nil {
			if ps := prev.servers[rc.Name()]; ps != nil {
				counts = ps.counts
			}
		}
		s, err := newRCServer(t, g, rc, counts)
		if err != nil {
			return nil, err
		}
		g.servers[rc.Name()] = s
		g.order = append(g.order, s)
		g.localNames[strings.ToLower(s.fqdn)] = true
	}
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
		deliver.WithTrace(func(e deliver.Event) { t.emit(Event{Kind: EventDelivery, Delivery: &e, Err: e.Err}) }),
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
	if hop.Kind != kindMailbox {
		g := d.t.acquireRemote()
		defer g.releaseRemote()
		dl = g.remote
	}
	if dl == nil {
		return nil, fmt.Errorf("%w (%s)", ErrNoDeliverer, hop.Kind)
	}
	return dl.Deliver(ctx, hop, msg, rcpts)
}
