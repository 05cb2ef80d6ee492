package smtpx

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
)

// Option configures NewServer.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

// RecipientChecker decides at RCPT time whether a recipient of an
// authoritative accepted domain can be delivered, so that mail the server
// would only bounce is refused instead of turned into backscatter. It
// returns nil to accept; to refuse, an error wrapping ErrUnknownRecipient
// (550 5.1.1) or ErrInvalidRecipient (550 5.1.3), or one with a Reply()
// dsn.Reply method giving the 4xx or 5xx reply (a *local.Maildir is a
// RecipientChecker that way); any other error is a temporary failure
// (451). It must honour ctx: the client waits.
type RecipientChecker interface {
	CheckRecipient(ctx context.Context, addr string) error
}

// RecipientCheckFunc adapts a function to RecipientChecker.
type RecipientCheckFunc func(ctx context.Context, addr string) error

// CheckRecipient calls f.
func (f RecipientCheckFunc) CheckRecipient(ctx context.Context, addr string) error {
	return f(ctx, addr)
}

// ReverseResolver looks up the host names of an address; *net.Resolver
// satisfies it.
type ReverseResolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

type options struct {
	serverName string
	receive    []*connector.ReceiveConnector
	domains    []routing.AcceptedDomain
	clock      queue.Clock
	authn      auth.Authenticator
	certs      []tls.Certificate
	verifier   *auth.PeerVerifier
	recipients RecipientChecker
	rdns       ReverseResolver
	logger     *slog.Logger
	trace      func(Event)
	listen     func(network, addr string) (net.Listener, error)
	protoLog   *protolog.Log // WithProtocolLog
	// loopTransits is the routing-loop limit (WithLoopDetection).
	loopTransits int
	backPressure *BackPressure // nil: off
	agents       *agent.Chain  // nil: none (WithAgents)
}

func defaultOptions() options {
	host, _ := os.Hostname()
	return options{
		serverName: strings.ToLower(host),
		clock:      queue.SystemClock{},
		logger:     slog.New(slog.DiscardHandler),
		listen:     net.Listen,

		loopTransits: DefaultLoopTransits,
	}
}

// WithServerName sets this server's FQDN: the default FQDN of receive
// connectors (banner, Received) and AuthSource. Default: the host name.
func WithServerName(fqdn string) Option {
	return funcOption(func(o *options) { o.serverName = strings.ToLower(strings.TrimSuffix(fqdn, ".")) })
}

// WithReceiveConnector adds receive connectors; each enabled one is served
// on its bindings. Default: none.
func WithReceiveConnector(rc ...*connector.ReceiveConnector) Option {
	return funcOption(func(o *options) { o.receive = append(o.receive, rc...) })
}

// WithAcceptedDomain adds accepted domains: recipients in them are
// accepted without Accept-Any-Recipient, and senders in authoritative ones
// need Accept-Authoritative-Domain-Sender. Default: none, so every
// recipient needs Accept-Any-Recipient.
func WithAcceptedDomain(d ...routing.AcceptedDomain) Option {
	return funcOption(func(o *options) { o.domains = append(o.domains, d...) })
}

// WithClock sets the time source of Received dates, tarpits and the
// back-pressure readings. Default: queue.SystemClock.
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

// WithRecipientCheck asks c about each recipient of an authoritative
// accepted domain at RCPT time (see RecipientChecker). Default: none, and
// every syntactically valid recipient of such a domain is accepted.
func WithRecipientCheck(c RecipientChecker) Option {
	return funcOption(func(o *options) { o.recipients = c })
}

// WithReverseLookup resolves client addresses for the Received header.
// Default: none; Received shows the address literal only.
func WithReverseLookup(r ReverseResolver) Option {
	return funcOption(func(o *options) { o.rdns = r })
}

// WithLogger sets the logger for sessions (a panic in one is logged and
// answered 421, not fatal). At the info level it gets one "queued" line
// per accepted message (queue ID, Message-ID, sender, recipients and
// client) and one "logon refused" line per failed AUTH (user name and
// client address, never the password). At debug every trace Event is
// logged too. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return funcOption(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithTrace calls f for every Event, synchronously on session
// goroutines; f must be safe for concurrent use and must not block for long.
// Default: none.
func WithTrace(f func(Event)) Option { return funcOption(func(o *options) { o.trace = f }) }

// WithListen replaces net.Listen for opening the connector bindings (tests,
// socket activation). Default: net.Listen.
func WithListen(f func(network, addr string) (net.Listener, error)) Option {
	return funcOption(func(o *options) { o.listen = f })
}

// WithLoopDetection refuses a message that has already passed through
// this server n times with "554 5.4.6 Routing loop detected", at the
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
// The chain's routing agents are not the server's: package transport
// runs them when it routes a queued message. Default: none.
func WithAgents(chain *agent.Chain) Option {
	return funcOption(func(o *options) { o.agents = chain })
}
