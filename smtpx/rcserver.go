package smtpx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"sync"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
)

// maxLineLength bounds a command line and a line of a message: twice RFC
// 5321 §4.5.3.1.6's 1000, as go-smtp and many servers accept;
// LongAddressesEnabled is not modelled.
const maxLineLength = 2000

// rcServer is one receive connector on the wire: its FQDN, TLS settings
// and connection counts.
type rcServer struct {
	t    *Server
	g    *generation // the configuration sessions on it keep
	rc   *connector.ReceiveConnector
	fqdn string
	tls  *tls.Config
	// bypass: some principal may exceed MaxMessageSize, so EHLO
	// advertises a bare SIZE (the reference system's
	// SizeEnabled=EnabledWithoutValue); sessions enforce the limit.
	bypass bool
	counts *admission
}

// admission counts a connector's open connections. It outlives a
// reconfiguration that keeps the connector's name, so connections of the
// old configuration still count against the limits of the new one.
type admission struct {
	mu        sync.Mutex
	total     int
	perSource map[netip.Addr]int
}

// newRCServer builds the server of rc in generation g, counting its
// connections in counts (nil: new counts).
func newRCServer(t *Server, g *generation, rc *connector.ReceiveConnector, counts *admission) (*rcServer, error) {
	if counts == nil {
		counts = &admission{perSource: map[netip.Addr]int{}}
	}
	s := &rcServer{t: t, g: g, rc: rc, fqdn: rc.FQDN(), counts: counts}
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
func (s *rcServer) acquire(a netip.Addr) *dsn.Reply {
	c := s.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := s.rc.MaxInboundConnection(); n > 0 && c.total >= n {
		return replyTooManyConns
	}
	if n := s.rc.MaxInboundConnectionPerSource(); n > 0 && c.perSource[a] >= n {
		return replyTooManyPerSource
	}
	c.total++
	c.perSource[a]++
	return nil
}

func (s *rcServer) release(a netip.Addr) {
	c := s.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.perSource[a]--; c.perSource[a] <= 0 {
		delete(c.perSource, a)
	}
}
