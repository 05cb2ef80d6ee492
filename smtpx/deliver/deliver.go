package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"iter"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mtasts"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
)

// Next-hop kinds handled by the Deliverer (queue.NextHop.Kind), named after
// the reference system's DeliveryType values.
const (
	// KindSmartHost: deliver to the connector's smart hosts; Domain is the
	// smart-host list as the reference system prints it.
	KindSmartHost = "SmartHostConnectorDelivery"
	// KindDNS: deliver to the MX hosts of Domain, the recipient domain.
	KindDNS = "DnsConnectorDelivery"
	// KindRelay: the connector is not sourced here; relay to one of its
	// source transport servers (Domain lists them).
	KindRelay = "SmtpRelayToRemoteTransportServer"
)

// relayRights are the send rights between our own transport servers: the
// implicit intra-organization connector lets every header class through.
const relayRights = perms.SendRoutingHeaders | perms.SendOrganizationHeaders | perms.SendForestHeaders

// HopFor returns the next hop for mail to domain through sc when sc is
// sourced on this server: KindSmartHost with the smart-host list
// ("[10.0.0.1],relay.contoso.com", one queue for every domain), or KindDNS
// with the lower-cased domain (one queue per domain).
func HopFor(sc *connector.SendConnector, domain string) queue.NextHop {
	if hosts := sc.SmartHosts(); len(hosts) > 0 {
		names := make([]string, len(hosts))
		for i, h := range hosts {
			names[i] = h.String()
		}
		return queue.NextHop{Connector: sc.Name(), Kind: KindSmartHost, Domain: strings.Join(names, ",")}
	}
	return queue.NextHop{Connector: sc.Name(), Kind: KindDNS, Domain: strings.TrimSuffix(strings.ToLower(domain), ".")}
}

// RelayHop returns the next hop that carries mail for sc to one of its
// source transport servers, for a connector not sourced on this server.
func RelayHop(sc *connector.SendConnector) queue.NextHop {
	return queue.NextHop{Connector: sc.Name(), Kind: KindRelay, Domain: strings.Join(sc.SourceTransportServers(), ",")}
}

// Deliverer delivers queued messages through send connectors. It
// implements queue.Deliverer, is safe for concurrent use, and keeps idle
// connections until Close.
type Deliverer struct {
	opts options
	fw   perms.Firewall
	pool *pool

	mu       sync.Mutex
	rotation map[string]uint64 // per connector: relay connections opened
	closed   bool

	sts stsClients

	tlsSessions tls.ClientSessionCache // nil: no resumption (tlssession.go)
}

var _ queue.Deliverer = (*Deliverer)(nil)

// New builds a Deliverer. Without WithResolver it reads /etc/resolv.conf
// (mx.New) and fails if that file cannot be parsed.
func New(opts ...Option) (*Deliverer, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.serverName == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("deliver: server name: %w", err)
		}
		o.serverName = strings.ToLower(h)
	}
	if o.resolver == nil {
		r, err := mx.New(mx.WithLocalNames(o.serverName))
		if err != nil {
			return nil, fmt.Errorf("deliver: default resolver: %w", err)
		}
		o.resolver = r
	}
	if o.external == nil {
		o.external = o.resolver
	}
	if o.lookup == nil {
		o.lookup = func(string) *connector.SendConnector { return nil }
	}
	if o.dial == nil {
		nd := &net.Dialer{Timeout: o.timeouts.Connect}
		o.dial = nd.DialContext
	}
	d := &Deliverer{opts: o, rotation: map[string]uint64{}, sts: stsClients{m: map[*mx.Resolver]*mtasts.Client{}}}
	if o.tlsSessions > 0 {
		d.tlsSessions = tls.NewLRUClientSessionCache(o.tlsSessions)
	}
	d.pool = newPool(o.maxIdle, min(o.timeouts.Command, 5*time.Second), func(cn *conn, err error) {
		d.emit(Event{Kind: EventClose, Host: cn.host, Addr: cn.addr, Messages: cn.messages, Err: err})
	})
	return d, nil
}

// Close closes the idle connections and waits for their timers; deliveries
// still running close their connections when they end. Deliver then fails
// with ErrClosed. Close is idempotent.
func (d *Deliverer) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.pool.shutdown()
	d.stopRefresh()
	return nil
}

// deliver is Deliver without its EventAttempt.
func (d *Deliverer) deliver(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	sc := d.opts.lookup(hop.Connector)
	if sc == nil {
		return nil, &HopError{Hop: hop, Err: fmt.Errorf("%w: %q", ErrUnknownConnector, hop.Connector)}
	}
	if limit := sc.MaxMessageSize(); limit > 0 && msg.Envelope.Size > limit {
		return fillResults(len(rcpts), queue.Result{Code: 552, Enhanced: "5.3.4",
			Text: fmt.Sprintf("message size %d exceeds the send connector's limit %d", msg.Envelope.Size, limit)}), nil
	}
	rights := sc.RemoteRights()
	if hop.Kind == KindRelay {
		rights = relayRights
	}
	ctx = d.deliveryContext(ctx, msg)
	for {
		cn := d.pool.get(poolKey(ctx, hop))
		if cn == nil {
			break
		}
		cn.reused = true
		d.emit(Event{Kind: EventReuse, Hop: hop, Host: cn.host, Addr: cn.addr, Messages: cn.messages})
		res, err, stale := d.transact(ctx, hop, sc, cn, msg, rcpts, rights)
		if !stale {
			return res, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	cn, res, err := d.connect(ctx, hop, sc, rcpts)
	if cn == nil {
		return res, err
	}
	res, err, _ = d.transact(ctx, hop, sc, cn, msg, rcpts, rights)
	return res, err
}

// connect opens a session with the first host of the hop that accepts one.
// A permanent DNS answer returns Results instead.
func (d *Deliverer) connect(ctx context.Context, hop queue.NextHop, sc *connector.SendConnector, rcpts []queue.Recipient) (*conn, []queue.Result, error) {
	sp := sessionParams{key: poolKey(ctx, hop), ehlo: sc.FQDN(), policy: sc.Policy(), rcptDomain: hop.Domain, logAs: d.protocolLogName(sc)}
	if sp.ehlo == "" {
		sp.ehlo = d.opts.serverName
	}
	if sp.policy.ClientCert == nil {
		sp.policy.ClientCert = d.opts.clientCert
	}
	sp.hop = hop
	var targets iter.Seq[target]
	switch hop.Kind {
	case KindSmartHost:
		targets = d.smartHostTargets(ctx, sc)
		sp.rcptDomain = domainOf(rcpts)
	case KindDNS:
		hosts, err := d.lookupMX(ctx, sc, hop.Domain)
		if err != nil {
			code, enh, permanent := mx.Status(err)
			if permanent {
				return nil, fillResults(len(rcpts), queue.Result{Code: code, Enhanced: enh, Text: err.Error()}), nil
			}
			return nil, nil, &HopError{Hop: hop, Err: err}
		}
		plans, fails, notes := d.tlsPlan(ctx, sc, hop.Domain, hosts)
		targets = d.mxTargets(hosts, sc, plans, fails, notes)
	case KindRelay:
		targets = d.relayTargets(sc)
		sp.policy = auth.ClientPolicy{Auth: auth.SmartHostExchangeServer, RequireTLS: true, ClientCert: d.opts.clientCert}
		sp.rcptDomain = domainOf(rcpts)
	default:
		return nil, nil, &HopError{Hop: hop, Err: fmt.Errorf("%w: %q", ErrUnknownKind, hop.Kind)}
	}
	herr := &HopError{Hop: hop}
	for t := range targets {
		if ctx.Err() != nil {
			break
		}
		if t.tp != nil || t.err != nil && errors.Is(t.err, ErrTLSPolicy) {
			ev := Event{Kind: EventPolicy, Hop: hop, Host: t.host, Addr: t.addr}
			if t.tp != nil {
				ev.Policy = t.tp.kind
			} else {
				ev.Err = t.err
				d.reportRefusal(t.err)
				d.logRefusal(sp.logAs, t)
			}
			d.emit(ev)
		}
		aerr := t.err
		if aerr == nil {
			var cn *conn
			if cn, aerr = d.open(ctx, sp, t); aerr == nil {
				return cn, nil, nil
			}
		}
		herr.Attempts = append(herr.Attempts, aerr)
		d.opts.logger.Info("deliver: host failed", "hop", hop.Key(), "host", aerr.Host, "addr", aerr.Addr, "err", aerr.Err)
		d.emit(Event{Kind: EventFailover, Hop: hop, Host: aerr.Host, Addr: aerr.Addr, Err: aerr})
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if len(herr.Attempts) == 0 {
		herr.Err = ErrNoHosts
	}
	return nil, nil, herr
}

// smartHostTargets yields the smart hosts in order, resolving names with
// A/AAAA lookups only when they are reached, each with its DANE policy.
func (d *Deliverer) smartHostTargets(ctx context.Context, sc *connector.SendConnector) iter.Seq[target] {
	return func(yield func(target) bool) {
		for _, sh := range sc.SmartHosts() {
			port := sh.Port
			if port == 0 {
				port = sc.Port()
			}
			if sh.IsIP {
				if !yield(target{host: sh.Host, addr: joinPort(sh.Host, port)}) {
					return
				}
				continue
			}
			addrs, tp, note, aerr := d.resolveSmartHost(ctx, sc, sh.Host, port)
			if aerr != nil {
				if !yield(target{host: sh.Host, err: aerr}) {
					return
				}
				continue
			}
			for _, a := range addrs {
				if !yield(target{host: sh.Host, addr: joinPort(a.String(), port), tp: tp, note: note}) {
					return
				}
			}
		}
	}
}

// lookupMX resolves domain and applies RFC 5321 §5.1 loop detection for our
// own server name (the resolver may not know it).
func (d *Deliverer) lookupMX(ctx context.Context, sc *connector.SendConnector, domain string) ([]mx.Host, error) {
	hosts, err := d.resolverFor(sc).LookupMX(ctx, domain)
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		if strings.EqualFold(h.Name, d.opts.serverName) {
			kept := hosts[:0:0]
			for _, x := range hosts {
				if x.Preference < h.Preference {
					kept = append(kept, x)
				}
			}
			if len(kept) == 0 {
				return nil, &mx.PermanentError{Name: domain, Err: mx.ErrLoop}
			}
			return kept, nil
		}
	}
	return hosts, nil
}

// mxTargets yields the addresses of hosts with the TLS policy each is
// held to (or the note saying why none is); a host its policy refuses
// yields its failure once.
func (d *Deliverer) mxTargets(hosts []mx.Host, sc *connector.SendConnector, plans []*hostTLS, fails []*AttemptError, notes []string) iter.Seq[target] {
	port := sc.Port()
	if d.opts.mxPort != 0 {
		port = d.opts.mxPort
	}
	return func(yield func(target) bool) {
		for i, h := range hosts {
			if fails[i] != nil {
				if !yield(target{host: h.Name, err: fails[i]}) {
					return
				}
				continue
			}
			for _, a := range h.Addrs {
				if !yield(target{host: h.Name, addr: joinPort(a.String(), port), tp: plans[i], mxSecure: h.Secure, note: notes[i]}) {
					return
				}
			}
		}
	}
}

// relayTargets yields the connector's source servers, the list rotated by
// one for every connection opened, so load spreads and a
// failed server is skipped in order.
func (d *Deliverer) relayTargets(sc *connector.SendConnector) iter.Seq[target] {
	servers := sc.SourceTransportServers()
	d.mu.Lock()
	n := d.rotation[sc.Name()]
	d.rotation[sc.Name()] = n + 1
	d.mu.Unlock()
	return func(yield func(target) bool) {
		for i := range servers {
			name := servers[(int(n%uint64(len(servers)))+i)%len(servers)]
			t := target{host: name, addr: d.opts.servers[strings.ToLower(name)]}
			if t.addr == "" {
				t.err = &AttemptError{Host: name, Code: 451, Enhanced: "4.4.0",
					Err: fmt.Errorf("%w: transport server %q has no address (WithTransportServer)", ErrNoHosts, name)}
			}
			if !yield(t) {
				return
			}
		}
	}
}

func (d *Deliverer) resolverFor(sc *connector.SendConnector) *mx.Resolver {
	if sc.UseExternalDNSServersEnabled() {
		return d.opts.external
	}
	return d.opts.resolver
}

func joinPort(host string, port uint16) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// domainOf is the first recipient's domain: the text after the last '@'
// (a quoted local part may hold one, as in "a@b"@contoso.com), canonical.
func domainOf(rcpts []queue.Recipient) string {
	if len(rcpts) == 0 {
		return ""
	}
	addr := rcpts[0].Address
	if dom, err := addrspace.RecipientDomain(addr); err == nil {
		return dom
	}
	return strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
}

func fillResults(n int, r queue.Result) []queue.Result {
	out := make([]queue.Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}
