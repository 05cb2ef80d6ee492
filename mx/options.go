package mx

import (
	"math/rand/v2"
	"time"
)

// Protocol selects the DNS transport, like the send connector's DNS protocol
// setting (Any / UseUdpOnly / UseTcpOnly).
type Protocol int

const (
	// ProtocolAny queries over UDP and retries over TCP when the reply is
	// truncated (RFC 1035 §4.2, RFC 7766). The default.
	ProtocolAny Protocol = iota
	// ProtocolUDP queries over UDP only; a truncated reply is used as is.
	ProtocolUDP
	// ProtocolTCP queries over TCP only.
	ProtocolTCP
)

// String returns "any", "udp" or "tcp".
func (p Protocol) String() string {
	switch p {
	case ProtocolUDP:
		return "udp"
	case ProtocolTCP:
		return "tcp"
	default:
		return "any"
	}
}

// DefaultResolvConf is the file New reads servers from when WithServers is
// not given.
const DefaultResolvConf = "/etc/resolv.conf"

// Option configures a Resolver; build them with the With functions.
type Option interface{ apply(*options) }

type options struct {
	servers    []string
	resolvConf string
	timeout    time.Duration
	attempts   int
	protocol   Protocol
	rand       *rand.Rand
	localNames []string
	cnameDepth int
	ipv6       bool
	trustAD    bool
}

func defaultOptions() options {
	return options{
		resolvConf: DefaultResolvConf,
		timeout:    5 * time.Second,
		attempts:   2,
		protocol:   ProtocolAny,
		cnameDepth: 8,
		ipv6:       true,
	}
}

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

// WithServers sets the DNS servers to query, in order: IP addresses with an
// optional port ("192.0.2.53", "127.0.0.1:5353", "[2001:db8::53]:53").
// Default: the nameserver lines of /etc/resolv.conf (see WithResolvConf).
// An empty list makes New fail.
func WithServers(addrs ...string) Option {
	return funcOption(func(o *options) { o.servers = append(make([]string, 0, len(addrs)), addrs...) })
}

// WithResolvConf names the resolv.conf file read when WithServers is not
// given. Default DefaultResolvConf. A missing file, or one without
// nameserver lines, means 127.0.0.1:53, as in glibc and package net.
func WithResolvConf(path string) Option {
	return funcOption(func(o *options) { o.resolvConf = path })
}

// WithTimeout bounds each query to one server. Default 5s. Values <= 0 keep
// the default.
func WithTimeout(d time.Duration) Option {
	return funcOption(func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	})
}

// WithAttempts sets how many times the whole server list is tried before a
// query fails temporarily. Default 2. Values < 1 keep the default.
func WithAttempts(n int) Option {
	return funcOption(func(o *options) {
		if n >= 1 {
			o.attempts = n
		}
	})
}

// WithProtocol selects UDP with TCP fallback (default), UDP only or TCP only.
func WithProtocol(p Protocol) Option {
	return funcOption(func(o *options) { o.protocol = p })
}

// WithRand sets the source used to shuffle mail exchangers of equal
// preference; tests pass a seeded one for determinism. The Resolver
// serialises its use. Default: math/rand/v2's global source.
func WithRand(r *rand.Rand) Option {
	return funcOption(func(o *options) { o.rand = r })
}

// WithLocalNames declares this server's own host names. An MX list that
// contains one of them is cut at its preference (RFC 5321 §5.1); if nothing
// better remains, lookups fail with ErrLoop. Default: none.
func WithLocalNames(names ...string) Option {
	return funcOption(func(o *options) { o.localNames = append(o.localNames, names...) })
}

// WithCNAMEDepth limits how many CNAMEs are followed for one name. Default
// 8. Values < 0 keep the default; 0 refuses any CNAME.
func WithCNAMEDepth(n int) Option {
	return funcOption(func(o *options) {
		if n >= 0 {
			o.cnameDepth = n
		}
	})
}

// WithIPv6 controls whether AAAA records are looked up. Default true.
func WithIPv6(enabled bool) Option {
	return funcOption(func(o *options) { o.ipv6 = enabled })
}

// WithTrustAD declares that the servers are DNSSEC-validating resolvers
// whose Authenticated Data bit (RFC 4035 §3.2.3, RFC 6840 §5.7) this
// Resolver may believe: queries then ask for it, and Host.Secure and
// TLSAResult.Secure report it. The AD bit travels unprotected, so New
// refuses the option unless every server is on a loopback address, where
// no one on the network can forge it (run unbound or another validating
// resolver on this machine). Default false: nothing is reported secure,
// so DANE is never used.
func WithTrustAD(enabled bool) Option {
	return funcOption(func(o *options) { o.trustAD = enabled })
}
