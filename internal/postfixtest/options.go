package postfixtest

import (
	"crypto/tls"
	"strings"
	"time"
)

// Option configures Start. Options are sealed: only this package defines
// them.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

type options struct {
	hostname     string
	cert         *tls.Certificate
	requireTLS   bool
	users        map[string]string
	domains      []string
	relayHost    string
	mainCF       [][2]string
	startTimeout time.Duration
}

// DefaultHostname is the myhostname of an instance without WithHostname.
const DefaultHostname = "postfix.postfixtest.example"

// DefaultStartTimeout bounds starting an instance until it greets.
const DefaultStartTimeout = 60 * time.Second

func defaultOptions() options {
	return options{
		hostname:     DefaultHostname,
		users:        map[string]string{},
		startTimeout: DefaultStartTimeout,
	}
}

// WithHostname sets myhostname: the name in the greeting, the EHLO reply
// and the "by" clause of the Received header, and the SASL realm.
// Default DefaultHostname.
func WithHostname(fqdn string) Option {
	return funcOption(func(o *options) { o.hostname = strings.ToLower(strings.TrimSuffix(fqdn, ".")) })
}

// WithTLS offers STARTTLS with cert, whose chain and key are written as PEM
// files for smtpd. Default: no TLS; STARTTLS is not offered.
func WithTLS(cert tls.Certificate) Option {
	return funcOption(func(o *options) { o.cert = &cert })
}

// RequireTLS refuses every transaction before STARTTLS
// (smtpd_tls_security_level = encrypt). It needs WithTLS. Default: TLS
// is optional.
func RequireTLS() Option {
	return funcOption(func(o *options) { o.requireTLS = true })
}

// WithSASLUser adds a Cyrus sasldb user (in the realm of the hostname)
// and makes the instance a smart host: only authenticated clients may
// submit mail (permit_sasl_authenticated, reject), AUTH offers PLAIN and
// LOGIN, and with WithTLS only after STARTTLS. May be given several
// times. Default: no SASL; mail is accepted for the mailbox domains only.
func WithSASLUser(user, password string) Option {
	return funcOption(func(o *options) { o.users[user] = password })
}

// WithMailboxDomains makes Postfix the final destination for domains:
// every local part is accepted and delivered to its own Maildir, read
// back by Messages. Default: none.
func WithMailboxDomains(domains ...string) Option {
	return funcOption(func(o *options) {
		for _, d := range domains {
			o.domains = append(o.domains, strings.ToLower(strings.TrimSuffix(d, ".")))
		}
	})
}

// WithRelayHost relays mail for every other domain to addr ("ip:port" or
// "host:port", dialled without MX lookup, STARTTLS when offered, its
// certificate not checked). Default: none; such mail would bounce.
func WithRelayHost(addr string) Option {
	return funcOption(func(o *options) { o.relayHost = addr })
}

// WithMainCF sets a main.cf parameter after all others, as
// `postconf -e name=value` would. It is the escape hatch for settings no
// option covers; may be given several times.
func WithMainCF(name, value string) Option {
	return funcOption(func(o *options) { o.mainCF = append(o.mainCF, [2]string{name, value}) })
}

// WithStartTimeout bounds starting the instance, from writing its files
// to the first 220 greeting. Default DefaultStartTimeout.
func WithStartTimeout(d time.Duration) Option {
	return funcOption(func(o *options) {
		if d > 0 {
			o.startTimeout = d
		}
	})
}
