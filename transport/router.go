package transport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/local"
)

// RouterConfig describes what a Router routes with.
type RouterConfig struct {
	// Server and Site identify this transport server (routing.Origin).
	Server, Site string
	// Domains are the accepted domains; nil accepts none.
	Domains *routing.AcceptedDomains
	// Table is the routing table built from SendConnectors
	// (NewRoutingTable); nil routes nothing.
	Table *routing.Table
	// SendConnectors are the connectors Table names.
	SendConnectors []*connector.SendConnector
	// Directory resolves InternalRelay recipients locally; nil means none
	// is found.
	Directory local.Directory
}

// Router is the queue.Router of a transport:
//
//  1. a message received on a receive connector that a send connector names
//     as its linked receive connector leaves through that send connector,
//     whatever its recipients;
//  2. a recipient in an Authoritative accepted domain goes to local
//     delivery (MailboxDelivery);
//  3. an InternalRelay recipient the Directory knows goes to local
//     delivery;
//  4. every other recipient follows the routing table: smart-host or DNS
//     delivery through the chosen connector, or relay to the connector's
//     source servers when this server is not one of them. No route parks
//     the recipient in the Unreachable queue (queue.ErrUnroutable).
//
// A Router is immutable and safe for concurrent use.
type Router struct {
	cfg    RouterConfig
	send   map[string]*connector.SendConnector // by name
	linked map[string]*connector.SendConnector // by lower-case receive connector name
}

var _ queue.Router = (*Router)(nil)

// NewRouter returns a Router for cfg.
func NewRouter(cfg RouterConfig) *Router {
	r := &Router{cfg: cfg, send: map[string]*connector.SendConnector{}, linked: map[string]*connector.SendConnector{}}
	for _, sc := range cfg.SendConnectors {
		r.send[sc.Name()] = sc
		if l := sc.LinkedReceiveConnector(); l != "" && sc.Enabled() {
			r.linked[strings.ToLower(l)] = sc
		}
	}
	return r
}

// NewRoutingTable builds the routing table of server (in site) from the
// address spaces of send connectors. A connector without source servers is
// sourced on server.
func NewRoutingTable(server, site string, send []*connector.SendConnector, opts ...routing.Option) (*routing.Table, error) {
	var entries []routing.Entry
	for _, sc := range send {
		src := sc.SourceTransportServers()
		if len(src) == 0 {
			src = []string{server}
		}
		for _, as := range sc.AddressSpaces() {
			entries = append(entries, routing.Entry{Connector: sc.Name(), Space: as,
				SourceServers: src, Site: site, Disabled: !sc.Enabled()})
		}
	}
	return routing.NewTable(entries, opts...)
}

// Route implements queue.Router.
func (r *Router) Route(ctx context.Context, env *queue.Envelope, rcpt queue.Recipient) (queue.NextHop, error) {
	domain, err := addrspace.RecipientDomain(rcpt.Address)
	if err != nil {
		return queue.NextHop{}, &queue.Result{Code: 550, Enhanced: "5.1.3", Text: "Invalid recipient address"}
	}
	if sc := r.linked[strings.ToLower(env.ReceiveConnector)]; sc != nil {
		return r.hopFor(sc, domain), nil
	}
	if ad, ok := r.cfg.Domains.Match(domain); ok {
		switch ad.Type {
		case routing.Authoritative:
			return local.Hop(domain), nil
		case routing.InternalRelay:
			if r.cfg.Directory != nil {
				found, err := r.cfg.Directory.Lookup(ctx, rcpt.Address)
				if err != nil {
					return queue.NextHop{}, fmt.Errorf("transport: directory lookup: %w", err)
				}
				if found {
					return local.Hop(domain), nil
				}
			}
		}
	}
	route, err := r.cfg.Table.Lookup("SMTP", rcpt.Address, routing.Origin{Server: r.cfg.Server, Site: r.cfg.Site})
	switch {
	case errors.Is(err, routing.ErrUnroutable):
		return queue.NextHop{}, fmt.Errorf("%w: %w", queue.ErrUnroutable, err)
	case err != nil:
		return queue.NextHop{}, &queue.Result{Code: 550, Enhanced: "5.1.3", Text: "Invalid recipient address"}
	}
	return r.hopFor(r.send[route.Connector], domain), nil
}

// hopFor is the next hop through sc for a recipient in domain: relay to
// sc's source servers when this server is not one of them,
// else smart-host or DNS delivery.
func (r *Router) hopFor(sc *connector.SendConnector, domain string) queue.NextHop {
	if src := sc.SourceTransportServers(); len(src) > 0 && !slices.ContainsFunc(src, func(s string) bool { return routing.SameServer(s, r.cfg.Server) }) {
		return deliver.RelayHop(sc)
	}
	return deliver.HopFor(sc, domain)
}
