package smtpx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
)

// maxLineLength is go-smtp's default (twice RFC 5321 §4.5.3.1.6's 1000),
// set explicitly so the limit is visible here; LongAddressesEnabled is not
// modelled.
const maxLineLength = 2000

// rcServer is one receive connector on the wire: its go-smtp server
// settings (FQDN, TLS, limits), which each of its connections is served
// on a copy of (replies.go), and its connection counts.
type rcServer struct {
	t    *Transport
	rc   *connector.ReceiveConnector
	fqdn string
	srv  *smtp.Server // never served itself: cloned per connection
	tls  *tls.Config
	// bypass: some principal may exceed MaxMessageSize, so go-smtp must not
	// enforce it; sessions do.
	bypass bool

	mu        sync.Mutex
	total     int
	perSource map[netip.Addr]int
}

func newRCServer(t *Transport, rc *connector.ReceiveConnector) (*rcServer, error) {
	s := &rcServer{t: t, rc: rc, fqdn: rc.FQDN(), perSource: map[netip.Addr]int{}}
	if s.fqdn == "" {
		s.fqdn = t.opts.serverName
	}
	for _, g := range rc.ACL().Grants() {
		if g.Rights.Has(perms.BypassMessageSizeLimit) {
			s.bypass = true
		}
	}
	mech := rc.AuthMechanism()
	if mech.Has(auth.TLS) {
		cert, ok := pickCertificate(t.opts.certs, s.fqdn)
		switch {
		case ok:
			s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			if mech.Has(auth.ExchangeServer) || rc.DomainSecureEnabled() {
				// Verified by auth.PeerVerifier in the session, so pinned
				// self-signed peers (direct trust) work too.
				s.tls.ClientAuth = tls.RequestClientCert
			}
		case rc.RequireTLS() || mech.Has(auth.BasicAuthRequireTLS):
			return nil, fmt.Errorf("smtpx: receive connector %q requires TLS but no certificate was given (WithTLSCertificate)", rc.Name())
		default:
			t.log.Warn("smtpx: no certificate; STARTTLS not offered", "connector", rc.Name())
		}
	}

	srv := smtp.NewServer(backend{s})
	srv.Domain = s.fqdn
	srv.TLSConfig = s.tls
	srv.MaxRecipients = rc.MaxRecipientsPerMessage()
	if !s.bypass {
		// go-smtp then advertises "SIZE n" and refuses SIZE= and DATA over
		// it; with a bypass it advertises a bare SIZE (the reference
		// system's SizeEnabled=EnabledWithoutValue) and sessions enforce.
		srv.MaxMessageBytes = rc.MaxMessageSize()
	}
	srv.MaxLineLength = maxLineLength
	// AUTH policy (538 5.7.11 under BasicAuthRequireTLS, no AUTH without
	// BasicAuth) is enforced by the session through auth.CheckAuthAllowed;
	// go-smtp would answer 523 instead.
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	srv.EnableDSN = true
	srv.ErrorLog = slogPrinter{t.log.With("connector", rc.Name())}
	s.srv = srv
	return s, nil
}

// pickCertificate returns the first certificate valid for fqdn, else the
// first one.
func pickCertificate(certs []tls.Certificate, fqdn string) (tls.Certificate, bool) {
	if len(certs) == 0 {
		return tls.Certificate{}, false
	}
	for _, c := range certs {
		leaf := c.Leaf
		if leaf == nil && len(c.Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(c.Certificate[0])
		}
		if leaf != nil && leaf.VerifyHostname(fqdn) == nil {
			return c, true
		}
	}
	return certs[0], true
}

// acquire admits a connection from a under MaxInboundConnection and
// MaxInboundConnectionPerSource (0: unlimited), or returns the 421 reply.
func (s *rcServer) acquire(a netip.Addr) *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.rc.MaxInboundConnection(); n > 0 && s.total >= n {
		return replyTooManyConns
	}
	if n := s.rc.MaxInboundConnectionPerSource(); n > 0 && s.perSource[a] >= n {
		return replyTooManyPerSource
	}
	s.total++
	s.perSource[a]++
	return nil
}

func (s *rcServer) release(a netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.perSource[a]--; s.perSource[a] <= 0 {
		delete(s.perSource, a)
	}
}

// chanAddr is the address of the per-connection listeners.
type chanAddr struct{}

func (chanAddr) Network() string { return "smtpx" }
func (chanAddr) String() string  { return "receive-connector" }

// slogPrinter adapts slog to go-smtp's Logger (internal errors only).
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) { p.l.Error(fmt.Sprintf(format, v...)) }
func (p slogPrinter) Println(v ...any)               { p.l.Error(fmt.Sprint(v...)) }
