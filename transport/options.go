package transport

import (
	"log/slog"
	"os"
	"strings"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/local"
)

// Option configures New. The options here are what the parts of a
// transport share (its name, clock, logger, trace, connectors, accepted
// domains) and how they are wired together; each part's own settings are
// passed to it with WithServerOptions, WithQueueOptions and
// WithDeliverOptions.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

// queueKind says which queue WithQueueDir, WithQueueStore or
// WithMemoryQueue chose.
type queueKind int

const (
	queueUnset queueKind = iota
	queueDir
	queueStore
	queueMemory
)

type options struct {
	serverName  string
	site        string
	receive     []*connector.ReceiveConnector
	send        []*connector.SendConnector
	domains     []routing.AcceptedDomain
	queue       queueKind
	queueDir    string
	queueStore  queue.Store
	queueOpts   []queue.Option
	clock       queue.Clock
	local       queue.Deliverer
	remote      queue.Deliverer
	directory   local.Directory
	logger      *slog.Logger
	trace       func(Event)
	routingOpts []routing.Option
	server      []smtpx.Option
	deliver     []deliver.Option
	agents      *agent.Chain        // nil: none (WithAgents)
	pressure    *smtpx.BackPressure // nil: off (WithBackPressure)
}

func defaultOptions() options {
	host, _ := os.Hostname()
	return options{
		serverName: strings.ToLower(host),
		site:       "Default-First-Site-Name",
		clock:      queue.SystemClock{},
		logger:     slog.New(slog.DiscardHandler),
	}
}

// WithServerName sets this transport server's FQDN: the default FQDN of
// receive connectors (banner, Received), the name it says in EHLO to next
// hops, the source-server name routing compares with
// SourceTransportServers, and AuthSource. Default: the host name.
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

// WithQueueDir keeps the queue durably in dir (queue.Open): a message is
// acknowledged with 250 only once it is on disk there. One of
// WithQueueDir, WithQueueStore or WithMemoryQueue is required.
func WithQueueDir(dir string) Option {
	return funcOption(func(o *options) { o.queue, o.queueDir = queueDir, dir })
}

// WithQueueStore keeps the queue in s (queue.OpenStore), e.g. a store on a
// shared database (queue/pgstore). If s is a fmt.Stringer, the start log
// line names the queue with its String.
func WithQueueStore(s queue.Store) Option {
	return funcOption(func(o *options) { o.queue, o.queueStore = queueStore, s })
}

// WithMemoryQueue keeps the queue in memory (queue.OpenMemory), which is
// NOT durable: every queued message, acknowledged or not, is lost when
// the process ends. For tests and throwaway relays; the start log line
// says so.
func WithMemoryQueue() Option {
	return funcOption(func(o *options) { o.queue = queueMemory })
}

// WithQueueOptions passes options to the queue (retry policy, limits, event
// hook...). The transport sets the Router, Deliverer, Clock and logger itself;
// options given here are applied after them.
func WithQueueOptions(opts ...queue.Option) Option {
	return funcOption(func(o *options) { o.queueOpts = append(o.queueOpts, opts...) })
}

// WithServerOptions passes options to the SMTP server (smtpx.NewServer):
// its certificates, authenticator, peer verifier, listener, reverse
// lookups, loop detection. The transport sets the server name, connectors,
// accepted domains, clock, logger, trace, recipient check, agents, back
// pressure and protocol log itself, from its own options; options given
// here are applied after them.
func WithServerOptions(opts ...smtpx.Option) Option {
	return funcOption(func(o *options) { o.server = append(o.server, opts...) })
}

// WithDeliverOptions passes options to deliver.New (resolvers, root CAs,
// client certificate, transport servers, DANE, MTA-STS...), after the ones
// the transport sets (send connectors, server name, logger, trace).
func WithDeliverOptions(opts ...deliver.Option) Option {
	return funcOption(func(o *options) { o.deliver = append(o.deliver, opts...) })
}

// WithClock sets the time source of the queue, the server (Received
// dates, tarpits) and back pressure. Default: queue.SystemClock.
func WithClock(c queue.Clock) Option { return funcOption(func(o *options) { o.clock = c }) }

// WithLocalDelivery delivers recipients routed to MailboxDelivery (the
// authoritative accepted domains), e.g. smtpx/local's Maildir or LMTP
// deliverers. When d is a local.Checker (a Maildir's deliverer is),
// recipients it could never deliver to are refused at RCPT time (550
// 5.1.3, or 550 5.1.1 for a missing mailbox) rather than accepted and
// bounced. Default: none; such messages wait in their queue.
func WithLocalDelivery(d queue.Deliverer) Option {
	return funcOption(func(o *options) { o.local = d })
}

// WithDeliverer replaces the delivery of every non-local next hop (send
// connectors, relay to source servers). Default: a deliver.Deliverer over
// the send connectors, built with WithDeliverOptions; without send
// connectors, none (such messages wait in their queues).
func WithDeliverer(d queue.Deliverer) Option {
	return funcOption(func(o *options) { o.remote = d })
}

// WithDirectory refuses unknown recipients of authoritative domains at RCPT
// time (550 5.1.1) and resolves InternalRelay recipients locally
// (local.LoadDirectory reads one from a file). Default: none, and every
// local part of an authoritative domain that the local deliverer can
// store is accepted (a Maildir then creates a mailbox for it).
func WithDirectory(d local.Directory) Option { return funcOption(func(o *options) { o.directory = d }) }

// WithLogger sets the logger of the server, the queue and the deliverer.
// At the info level it gets one line per message outcome, each with the
// queue ID: "queued" (with the Message-ID, sender, recipients and
// client), then "delivered", "deferred", "failed", "DSN queued",
// "unreachable" or "poison message" (with the recipients, the next hop
// and the reply), and one "logon refused" line per failed AUTH (user name
// and client address, never the password). At debug every trace Event is
// logged too. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return funcOption(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithTrace calls f for every Event, synchronously on session, queue and
// delivery goroutines; f must be safe for concurrent use and must not
// block for long. Default: none.
func WithTrace(f func(Event)) Option { return funcOption(func(o *options) { o.trace = f }) }

// WithAgents runs the transport agents of chain: its SMTP-receive agents
// on the server's sessions (smtpx.WithAgents), its routing agents
// (OnSubmittedMessage, OnResolvedMessage, OnRoutedMessage,
// OnCategorizedMessage) on every queued message as the queue routes it,
// whichever connector received it. There they may redirect, add or drop
// recipients, override a recipient's routing domain and edit the header
// (the SCL too), but not the body. Without routing agents routing reads
// nothing more than it would without agents. Default: none.
func WithAgents(chain *agent.Chain) Option {
	return funcOption(func(o *options) { o.agents = chain })
}

// WithBackPressure watches the queue's disk and the process's memory and
// has the server refuse new mail under pressure (smtpx.WithBackPressure).
// Without a Probe, bp reads the file system of the WithQueueDir
// directory, and memory only for other queues. Default: off.
func WithBackPressure(bp smtpx.BackPressure) Option {
	return funcOption(func(o *options) { o.pressure = &bp })
}

// WithProtocolLog sets the SMTP protocol logs: receive (a protolog.Receive
// log) records the sessions of receive connectors whose
// ProtocolLoggingLevel is Verbose (smtpx.WithProtocolLog), send (a
// protolog.Send log) those of such send connectors (deliver.WithProtocolLog;
// it does not apply with WithDeliverer). Either may be nil. The caller
// closes the logs after Shutdown. Default: no protocol log.
func WithProtocolLog(receive, send *protolog.Log) Option {
	return funcOption(func(o *options) {
		if receive != nil {
			o.server = append(o.server, smtpx.WithProtocolLog(receive))
		}
		if send != nil {
			o.deliver = append(o.deliver, deliver.WithProtocolLog(send))
		}
	})
}
