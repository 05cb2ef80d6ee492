package smtpx

import (
	"strings"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/routing"
)

// Config is the part of a server's configuration that Reconfigure can
// replace while it runs: receive connectors and accepted domains.
// Everything else (server name, certificates, authenticator, queue...)
// is fixed by NewServer.
type Config struct {
	ReceiveConnectors []*connector.ReceiveConnector
	AcceptedDomains   []routing.AcceptedDomain
}

// generation is everything built from one Config. A session keeps the
// generation it was admitted under (through its rcServer), so a
// transaction in progress ends under the rules it began with; new
// connections use the current one.
type generation struct {
	cfg        Config
	set        *connector.Set
	domains    *routing.AcceptedDomains
	servers    map[string]*rcServer
	order      []*rcServer
	firewall   perms.Firewall
	localNames map[string]bool // this server's names, for MaxLocalHopCount
}

// newGeneration validates c and builds its state; prev (nil at first)
// lends its connection counts to connectors of the same name, so limits
// hold across a reconfiguration.
func (t *Server) newGeneration(c Config, prev *generation) (*generation, error) {
	o := &t.opts
	g := &generation{cfg: c, servers: map[string]*rcServer{}, localNames: map[string]bool{o.serverName: true}}
	var err error
	if g.set, err = connector.NewSet(c.ReceiveConnectors...); err != nil {
		return nil, err
	}
	if g.domains, err = routing.NewAcceptedDomains(c.AcceptedDomains); err != nil {
		return nil, err
	}
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
	return g, nil
}
