package smtpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// Option configures NewTransport.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

// Directory answers whether a recipient exists, for RCPT-time refusal of
// unknown recipients in authoritative domains (550 5.1.1) and for the
// InternalRelay decision. smtpx/local's directories satisfy it.
type Directory interface {
	Lookup(ctx context.Context, addr string) (bool, error)
}

// ReverseResolver looks up the host names of an address; *net.Resolver
// satisfies it.
type ReverseResolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

type options struct {
	serverName  string
	site        string
	receive     []*connector.ReceiveConnector
	send        []*connector.SendConnector
	domains     []routing.AcceptedDomain
	queueDir    string
	queueStore  queue.Store
	queueOpts   []queue.Option
	clock       queue.Clock
	authn       auth.Authenticator
	certs       []tls.Certificate
	verifier    *auth.PeerVerifier
	local       queue.Deliverer
	remote      queue.Deliverer
	directory   Directory
	rdns        ReverseResolver
	logger      *slog.Logger
	trace       func(Event)
	listen      func(network, addr string) (net.Listener, error)
	routingOpts []routing.Option
	deliver     []deliver.Option
	protoLog    *protolog.Log // receive side of WithProtocolLog (protolog.go)
	// loopTransits is the routing-loop limit (WithLoopDetection).
	loopTransits int
	backPressure *BackPressure // nil: off
	agents       *agent.Chain  // nil: none (WithAgents)
}

func defaultOptions() options {
	host, _ := os.Hostname()
	return options{
		serverName: strings.ToLower(host),
		site:       "Default-First-Site-Name",
		clock:      queue.SystemClock{},
		logger:     slog.New(slog.DiscardHandler),
		listen:     net.Listen,

		loopTransits: DefaultLoopTransits,
	}
}

// WithServerName sets this transport server's FQDN: the default FQDN of
// receive connectors (banner, Received), the source-server name routing
// compares with SourceTransportServers, and AuthSource. Default: the host
// name.
func WithServerName(fqdn string) Option {
	return funcOption(func(o *options) { o.serverName = strings.ToLower(strings.TrimSuffix(fqdn, ".")) })
}

// WithSite sets the server's site, for Local-scoped send connectors and
// routing proximity. Default "Default-First-Site-Name".
func WithSite(site string) Option { return funcOption(func(o *options) { o.site = site }) }

// WithReceiveConnector adds receive connectors; each enabled one is served
// on its bindings. Default: none.
func WithReceiveConnector(rc ...*connector.ReceiveConnector) Option {
	return funcOption(func(o *options) { o.receive = append(o.receive, rc...) })
}

// WithSendConnector adds send connectors, from which the routing table is
// built. Default: none (only local delivery is routable).
func WithSendConnector(sc ...*connector.SendConnector) Option {
	return funcOption(func(o *options) { o.send = append(o.send, sc...) })
}

// WithAcceptedDomain adds accepted domains. Default: none, so
// every recipient needs Accept-Any-Recipient.
func WithAcceptedDomain(d ...routing.AcceptedDomain) Option {
	return funcOption(func(o *options) { o.domains = append(o.domains, d...) })
}

// WithRoutingOptions passes options to routing.NewTable (e.g. site costs).
func WithRoutingOptions(opts ...routing.Option) Option {
	return funcOption(func(o *options) { o.routingOpts = append(o.routingOpts, opts...) })
}

// WithQueueDir keeps the queue durably in dir (queue.Open). Default: an
// in-memory queue (queue.OpenMemory), which is NOT durable: every queued
// message is lost when the process ends. Use it for tests only.
func WithQueueDir(dir string) Option { return funcOption(func(o *options) { o.queueDir = dir }) }

// WithQueueStore keeps the queue in s (queue.OpenStore), e.g. a store on a
// shared database. It takes precedence over WithQueueDir.
func WithQueueStore(s queue.Store) Option { return funcOption(func(o *options) { o.queueStore = s }) }

// WithQueueOptions passes options to the queue (retry policy, limits, event
// hook...). The transport sets the Router, Deliverer, Clock and logger itself;
// options given here are applied after them.
func WithQueueOptions(opts ...queue.Option) Option {
	return funcOption(func(o *options) { o.queueOpts = append(o.queueOpts, opts...) })
}

// WithClock sets the time source of the queue and of Received dates.
// Default: queue.SystemClock.
func WithClock(c queue.Clock) Option { return funcOption(func(o *options) { o.clock = c }) }

// WithAuthenticator checks SASL credentials (AUTH PLAIN and LOGIN on
// connectors with BasicAuth). Default: none, and AUTH is not offered.
func WithAuthenticator(a auth.Authenticator) Option {
	return funcOption(func(o *options) { o.authn = a })
}

// WithTLSCertificate adds server certificates. Each receive connector with
// the Tls mechanism presents the first certificate valid for its FQDN (the
// first certificate when none matches). Default: none, and STARTTLS is not
// offered (connectors that require TLS then fail Start).
func WithTLSCertificate(certs ...tls.Certificate) Option {
	return funcOption(func(o *options) { o.certs = append(o.certs, certs...) })
}

// WithPeerVerifier authenticates transport servers by their client
// certificate on connectors with the ExchangeServer mechanism (mutual TLS).
// Default: none, and no session becomes a transport server that way.
func WithPeerVerifier(v *auth.PeerVerifier) Option {
	return funcOption(func(o *options) { o.verifier = v })
}

// WithLocalDelivery delivers recipients routed to MailboxDelivery (the
// authoritative accepted domains), e.g. smtpx/local's Maildir or LMTP
// deliverers. When d is a local.Checker (local.Deliverer of a Maildir
// is), recipients it could never deliver to are refused at RCPT time
// (550 5.1.3, or 550 5.1.1 for a missing mailbox) rather than accepted and
// bounced. Default: none; such messages wait in their queue.
func WithLocalDelivery(d queue.Deliverer) Option {
	return funcOption(func(o *options) { o.local = d })
}

// WithDeliverer replaces the delivery of every non-local next hop (send
// connectors, relay to source servers). Default: a deliver.Deliverer over
// the send connectors, built with the delivery options below; without send
// connectors, none (such messages wait in their queues).
func WithDeliverer(d queue.Deliverer) Option {
	return funcOption(func(o *options) { o.remote = d })
}

// WithDeliverOptions passes options to deliver.New, after the ones the
// transport sets (send connectors, server name, logger, trace).
func WithDeliverOptions(opts ...deliver.Option) Option {
	return funcOption(func(o *options) { o.deliver = append(o.deliver, opts...) })
}

// WithResolver sets the DNS resolver for MX lookups and smart-host names.
// Default: the servers of /etc/resolv.conf.
func WithResolver(r *mx.Resolver) Option { return WithDeliverOptions(deliver.WithResolver(r)) }

// WithExternalResolver sets the resolver of send connectors with
// UseExternalDNSServersEnabled. Default: the WithResolver one.
func WithExternalResolver(r *mx.Resolver) Option {
	return WithDeliverOptions(deliver.WithExternalResolver(r))
}

// WithTransportServer declares a peer transport server by the name send
// connectors list in SourceTransportServers and the host:port of its
// receive connector, for relay to source servers. May be repeated.
func WithTransportServer(name, addr string) Option {
	return WithDeliverOptions(deliver.WithTransportServer(name, addr))
}

// WithMXPort dials mail exchangers on port instead of the connector's
// (a test seam for loopback harnesses). Default: the connector's Port.
func WithMXPort(port uint16) Option { return WithDeliverOptions(deliver.WithMXPort(port)) }

// WithRootCAs sets the CAs trusted when delivery validates certificates.
// Default: the system pool.
func WithRootCAs(pool *x509.CertPool) Option { return WithDeliverOptions(deliver.WithRootCAs(pool)) }

// WithClientCertificate sets the certificate presented to transport
// servers and smart hosts that ask for one (mutual TLS). Default: none.
func WithClientCertificate(cert tls.Certificate) Option {
	return WithDeliverOptions(deliver.WithClientCertificate(cert))
}

// WithDirectory refuses unknown recipients of authoritative domains at RCPT
// time (550 5.1.1) and resolves InternalRelay recipients locally
// (local.LoadDirectory reads one from a file). Default: none, and every
// local part of an authoritative domain that the local deliverer can
// store is accepted (a Maildir then creates a mailbox for it).
func WithDirectory(d Directory) Option { return funcOption(func(o *options) { o.directory = d }) }

// WithReverseLookup resolves client addresses for the Received header.
// Default: none; Received shows the address literal only.
func WithReverseLookup(r ReverseResolver) Option {
	return funcOption(func(o *options) { o.rdns = r })
}

// WithLogger sets the logger for sessions (a panic in one is logged and
// answered 421, not fatal), deliveries and the queue. At the info level it
// gets one line per message outcome, each with the queue ID: "queued"
// (with the Message-ID, sender, recipients and client), then "delivered",
// "deferred", "failed", "DSN queued", "unreachable" or "poison message"
// (with the recipients, the next hop and the reply), and one "logon
// refused" line per failed AUTH (user name and client address, never the
// password). At debug every trace Event is logged too. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return funcOption(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithTrace calls f for every Event, synchronously on session and queue
// goroutines; f must be safe for concurrent use and must not block for long.
// Default: none.
func WithTrace(f func(Event)) Option { return funcOption(func(o *options) { o.trace = f }) }

// WithListen replaces net.Listen for opening the connector bindings (tests,
// socket activation). Default: net.Listen.
func WithListen(f func(network, addr string) (net.Listener, error)) Option {
	return funcOption(func(o *options) { o.listen = f })
}

// WithLoopDetection refuses a message that has already passed through
// this transport n times with "554 5.4.6 Routing loop detected", at the
// end of DATA, before it is queued: the sending server keeps the message
// and returns one non-delivery report to its sender. A message is the
// same when its envelope sender, its recipients (in any order) and its
// Message-ID, Date, From and Subject fields are; passages are remembered
// for 24 hours, for the last 65 536 messages seen. Unlike MaxHopCount
// ("554 5.4.14", which counts Received fields), this holds when a peer's
// send connector strips the Received fields (no Send-Headers-Routing).
// Default DefaultLoopTransits (20); 0 turns the check off.
func WithLoopDetection(n int) Option {
	return funcOption(func(o *options) { o.loopTransits = max(n, 0) })
}

// WithAgents runs the transport agents of chain on every receive session:
// each SMTP event (connect, HELO/EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA,
// end of headers, end of data, RSET, NOOP, refusals, disconnect) calls the
// chain's agents in their priority, on the connectors they are enabled for.
// An agent's reply replaces the session's own; the edits agents make at end
// of headers and end of data (header fields, SCL, recipients dropped with an
// NDR, added or redirected, discard, quarantine, a new body) apply to what
// is queued. Agents see the client's header fields after the receive-side
// header firewall, so an SCL an agent sets is kept while a forged one is
// not. With no agent enabled on a connector its sessions do not buffer
// message bodies and pay one nil check per event.
//
// The chain's routing agents (OnSubmittedMessage, OnResolvedMessage,
// OnRoutedMessage, OnCategorizedMessage) run in the queue's categorizer on
// every queued message, whichever connector received it; there they may
// redirect, add or drop recipients and override a recipient's routing
// domain, but not edit the header or body. Without routing agents the
// categorizer reads nothing more than before. Default: none.
func WithAgents(chain *agent.Chain) Option {
	return funcOption(func(o *options) { o.agents = chain })
}
