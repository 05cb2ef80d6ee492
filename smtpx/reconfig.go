package smtpx

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"slices"
)

// Reconfigure replaces the server's receive connectors and accepted
// domains while it runs. It builds and checks the whole of c first (the
// receive connectors as one set, the accepted domains, every new binding
// opened) and returns the first error with the running configuration
// untouched. Otherwise it swaps in c at once:
//
//   - sessions already connected keep the configuration they began with
//     until they end, so a mail transaction in progress completes under
//     the old rules; new connections get the new one;
//   - bindings c adds start listening, bindings it drops stop (their
//     connections finish), and unchanged bindings keep their socket, so
//     accepting never pauses.
//
// It logs one info line saying what changed. Calls are serialized; after
// Shutdown it returns ErrServerClosed.
func (t *Server) Reconfigure(ctx context.Context, c Config) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.reconf.Lock()
	defer t.reconf.Unlock()
	old := t.gen.Load()
	g, err := t.newGeneration(c, old)
	if err != nil {
		return err
	}
	t.mu.Lock()
	if t.state == stateClosed {
		t.mu.Unlock()
		return ErrServerClosed
	}
	var opened, closed []*boundListener
	if t.state == stateStarted {
		if opened, err = t.openNew(g); err != nil {
			t.mu.Unlock()
			return err
		}
		want := g.set.Bindings()
		kept := t.listeners[:0:0]
		for _, bl := range t.listeners {
			if slices.Contains(want, bl.binding) {
				kept = append(kept, bl)
			} else {
				closed = append(closed, bl)
			}
		}
		t.listeners = append(kept, opened...)
	}
	t.gen.Store(g)
	for _, bl := range opened {
		t.acceptWG.Go(func() { t.acceptLoop(bl) })
	}
	t.mu.Unlock()
	for _, bl := range closed {
		bl.ln.Close()
	}
	t.logChanges(old, g, opened, closed)
	return nil
}

// openNew listens on the bindings of g that have no socket yet; on an
// error it closes what it opened.
func (t *Server) openNew(g *generation) ([]*boundListener, error) {
	var opened []*boundListener
	for _, b := range g.set.Bindings() {
		if slices.ContainsFunc(t.listeners, func(bl *boundListener) bool { return bl.binding == b }) {
			continue
		}
		ln, err := t.listen(b)
		if err != nil {
			for _, bl := range opened {
				bl.ln.Close()
			}
			return nil, err
		}
		opened = append(opened, &boundListener{binding: b, ln: ln})
	}
	return opened, nil
}

// listen opens the socket of one binding.
func (t *Server) listen(b netip.AddrPort) (net.Listener, error) {
	network := "tcp4"
	if b.Addr().Is6() {
		network = "tcp6"
	}
	ln, err := t.opts.listen(network, b.String())
	if err != nil {
		return nil, fmt.Errorf("smtpx: listen on %s: %w", b, err)
	}
	return ln, nil
}

// logChanges writes the info line of a reconfiguration.
func (t *Server) logChanges(old, g *generation, opened, closed []*boundListener) {
	var added, removed, changed []string
	for name, s := range g.servers {
		switch ps := old.servers[name]; {
		case ps == nil:
			added = append(added, "receive:"+name)
		case !reflect.DeepEqual(ps.rc.Config(), s.rc.Config()):
			changed = append(changed, "receive:"+name)
		}
	}
	for name := range old.servers {
		if g.servers[name] == nil {
			removed = append(removed, "receive:"+name)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(changed)
	t.log.Info("smtpx: configuration reloaded", "server", t.opts.serverName,
		"added", added, "removed", removed, "changed", changed,
		"domains_changed", !reflect.DeepEqual(old.cfg.AcceptedDomains, g.cfg.AcceptedDomains),
		"bindings_opened", bindingNames(opened), "bindings_closed", bindingNames(closed))
}

func bindingNames(bls []*boundListener) []string {
	out := make([]string, len(bls))
	for i, bl := range bls {
		out[i] = bl.binding.String()
	}
	return out
}
