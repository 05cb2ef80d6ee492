package transport

import (
	"context"
	"reflect"
	"slices"

	"github.com/hubedge/hubedge/smtpx"
)

// Reconfigure replaces the transport's connectors and accepted domains
// while it runs. It builds and checks the whole of c first (the routing
// table and the outbound deliverer here, then the receive connectors, the
// accepted domains and every new binding in smtpx.Server.Reconfigure) and
// returns the first error with the running configuration untouched.
// Otherwise it swaps in c at once:
//
//   - sessions already connected keep the configuration they began with
//     until they end, and bindings change as smtpx.Server.Reconfigure
//     says, without a pause in accepting;
//   - the queue stays open: messages waiting in it, the Unreachable ones
//     included, are routed again by the new routing table, each at its
//     next attempt;
//   - deliveries in progress finish on the old outbound deliverer, which
//     is closed once they have; a deliverer given with WithDeliverer is
//     kept.
//
// The server logs one info line for what changed on the receive side,
// the transport one for the send side. Calls are serialized; after
// Shutdown it returns smtpx.ErrServerClosed.
func (t *Transport) Reconfigure(ctx context.Context, c Config) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.reconf.Lock()
	defer t.reconf.Unlock()
	g, err := t.newGeneration(c)
	if err != nil {
		return err
	}
	if err := t.srv.Reconfigure(ctx, smtpx.Config{ReceiveConnectors: c.ReceiveConnectors, AcceptedDomains: c.AcceptedDomains}); err != nil {
		g.retire()
		return err
	}
	t.mu.Lock()
	if t.state == stateClosed {
		t.mu.Unlock()
		g.retire()
		return smtpx.ErrServerClosed
	}
	old := t.gen.Swap(g)
	q := t.q
	t.mu.Unlock()
	old.retire()
	rerouted := 0
	if q != nil {
		// The Unreachable queue too, as the reference system resubmits it
		// on any routing change.
		rerouted = q.Reroute() + q.RetryUnreachable()
	}
	t.logChanges(old, g, rerouted)
	return nil
}

// logChanges writes the info line of a reconfiguration's send side.
func (t *Transport) logChanges(old, g *generation, rerouted int) {
	var added, removed, changed []string
	oldSend := map[string]int{}
	for i, sc := range old.cfg.SendConnectors {
		oldSend[sc.Name()] = i
	}
	for _, sc := range g.cfg.SendConnectors {
		i, ok := oldSend[sc.Name()]
		switch {
		case !ok:
			added = append(added, "send:"+sc.Name())
		case !reflect.DeepEqual(old.cfg.SendConnectors[i].Config(), sc.Config()):
			changed = append(changed, "send:"+sc.Name())
		}
		delete(oldSend, sc.Name())
	}
	for name := range oldSend {
		removed = append(removed, "send:"+name)
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(changed)
	t.log.Info("transport: routing reloaded", "server", t.opts.serverName,
		"added", added, "removed", removed, "changed", changed, "rerouted", rerouted)
}
