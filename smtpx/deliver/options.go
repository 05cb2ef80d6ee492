package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/tlsrpt"
)

// Option configures New. Options are sealed: only this package defines them.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

// DialFunc dials a TCP connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Timeouts bound the phases of a delivery. A zero field keeps its default.
type Timeouts struct {
	// Connect bounds dialling one address. Default 30 s.
	Connect time.Duration
	// Command bounds each command's reply, the greeting and the TLS
	// handshake. Default 5 min (RFC 5321 §4.5.3.2).
	Command time.Duration
	// Data bounds the reply after the final dot. Default 10 min (RFC 5321
	// §4.5.3.2.6).
	Data time.Duration
}

// Default timeouts.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultCommandTimeout = 5 * time.Minute
	DefaultDataTimeout    = 10 * time.Minute
	// DefaultMaxIdleConnsPerHop matches the transport's default
	// MaxPerDomainOutboundConnections, so a busy hop keeps every connection
	// it uses.
	DefaultMaxIdleConnsPerHop = 20
)

type options struct {
	lookup     func(name string) *connector.SendConnector
	serverName string
	resolver   *mx.Resolver
	external   *mx.Resolver
	roots      *x509.CertPool
	clientCert *tls.Certificate
	servers    map[string]string // transport server name (lower case) -> addr
	mxPort     uint16
	dial       DialFunc
	logger     *slog.Logger
	trace      func(Event)
	timeouts   Timeouts
	maxIdle    int
	protoLog   *protolog.Log // WithProtocolLog (protolog.go)
	// TLS policies of DNS-routed hops (tlspolicy.go).
	noDANE, noMTASTS bool
	stsHTTP          *http.Client
	stsClock         func() time.Time
	stsRefresh       time.Duration // WithMTASTSRefresh
	reportSender     string        // WithTLSReportSender (reportmail.go)
	tlsrpt           *tlsrpt.Recorder
	tlsSessions      int          // WithTLSSessionCache (tlssession.go)
	dkim             *dkimSigning // WithDKIM (dkim.go)
}

func defaultOptions() options {
	return options{
		servers:     map[string]string{},
		logger:      slog.New(slog.DiscardHandler),
		timeouts:    Timeouts{Connect: DefaultConnectTimeout, Command: DefaultCommandTimeout, Data: DefaultDataTimeout},
		maxIdle:     DefaultMaxIdleConnsPerHop,
		tlsSessions: DefaultTLSSessionCacheSize,
		stsRefresh:  DefaultMTASTSRefreshInterval,
	}
}

// WithSendConnectors sets the send connectors next hops may name, by
// connector name (case-insensitive). It replaces WithConnectorLookup.
// Default: none, so every hop fails with ErrUnknownConnector.
func WithSendConnectors(scs ...*connector.SendConnector) Option {
	m := make(map[string]*connector.SendConnector, len(scs))
	for _, sc := range scs {
		if sc != nil {
			m[strings.ToLower(sc.Name())] = sc
		}
	}
	return funcOption(func(o *options) {
		o.lookup = func(name string) *connector.SendConnector { return m[strings.ToLower(name)] }
	})
}

// WithConnectorLookup sets the function that finds a send connector by
// name for each delivery, so a transport can swap its configuration
// without rebuilding the Deliverer. It returns nil for an unknown name.
// It replaces WithSendConnectors.
func WithConnectorLookup(f func(name string) *connector.SendConnector) Option {
	return funcOption(func(o *options) { o.lookup = f })
}

// WithServerName sets this server's FQDN: the EHLO name when a connector has
// no FQDN of its own, and the name that marks an MX list as looping back to
// us (RFC 5321 §5.1). Default: os.Hostname().
func WithServerName(fqdn string) Option {
	return funcOption(func(o *options) { o.serverName = strings.TrimSuffix(strings.ToLower(fqdn), ".") })
}

// WithResolver sets the resolver for MX lookups and smart-host names (the
// transport's internal DNS servers). Default: mx.New(), the servers of
// /etc/resolv.conf.
func WithResolver(r *mx.Resolver) Option {
	return funcOption(func(o *options) { o.resolver = r })
}

// WithExternalResolver sets the resolver used by connectors with
// UseExternalDNSServersEnabled (the transport's ExternalDNSServers).
// Default: the WithResolver one.
func WithExternalResolver(r *mx.Resolver) Option {
	return funcOption(func(o *options) { o.external = r })
}

// WithRootCAs sets the certificate authorities trusted when a policy
// validates the remote certificate. Default: the system pool.
func WithRootCAs(pool *x509.CertPool) Option {
	return funcOption(func(o *options) { o.roots = pool })
}

// WithClientCertificate sets the certificate this server presents during
// STARTTLS when the connector has none: mutual TLS toward transport servers
// (KindRelay, ExchangeServer smart-host auth). Default: none.
func WithClientCertificate(cert tls.Certificate) Option {
	return funcOption(func(o *options) { o.clientCert = &cert })
}

// WithTransportServer declares a peer transport server: name as it appears
// in connectors' SourceTransportServers (also the name its certificate must
// carry) and the "host:port" of its intra-organization receive connector.
// May be given several times. Default: none.
func WithTransportServer(name, addr string) Option {
	return funcOption(func(o *options) { o.servers[strings.ToLower(name)] = addr })
}

// WithMXPort dials mail exchangers (KindDNS) on port instead of the
// connector's Port (25 by default): the test seam for harnesses whose MX
// hosts listen on loopback ephemeral ports. Default 0: the connector's Port.
func WithMXPort(port uint16) Option {
	return funcOption(func(o *options) { o.mxPort = port })
}

// WithDialer sets the function that opens TCP connections. Default: a
// net.Dialer bounded by Timeouts.Connect.
func WithDialer(f DialFunc) Option {
	return funcOption(func(o *options) { o.dial = f })
}

// WithLogger sets the logger. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return funcOption(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithTrace sets a function called synchronously with every Event; it must
// not block for long. Default: none.
func WithTrace(f func(Event)) Option {
	return funcOption(func(o *options) { o.trace = f })
}

// WithTimeouts sets the connect, command and data timeouts; zero fields
// keep their defaults (see Timeouts).
func WithTimeouts(t Timeouts) Option {
	return funcOption(func(o *options) {
		if t.Connect > 0 {
			o.timeouts.Connect = t.Connect
		}
		if t.Command > 0 {
			o.timeouts.Command = t.Command
		}
		if t.Data > 0 {
			o.timeouts.Data = t.Data
		}
	})
}

// WithMaxIdleConnsPerHop caps the idle connections kept per next hop.
// Default DefaultMaxIdleConnsPerHop; 0 or less disables reuse.
func WithMaxIdleConnsPerHop(n int) Option {
	return funcOption(func(o *options) { o.maxIdle = max(n, 0) })
}
