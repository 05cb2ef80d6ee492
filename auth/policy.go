package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ClientPolicy is how a send connector authenticates to a smart host
// (SmartHostAuthMechanism, RequireTLS, TlsAuthLevel, TlsDomain). The zero value sends no credentials and uses
// STARTTLS opportunistically without certificate checks.
type ClientPolicy struct {
	// Auth is the SmartHostAuthMechanism.
	Auth SmartHostAuth
	// Credentials are used by BasicAuth and BasicAuthRequireTLS.
	Credentials Credentials
	// RequireTLS refuses to deliver without STARTTLS.
	RequireTLS bool
	// TLSAuthLevel selects the certificate checks; only with RequireTLS.
	TLSAuthLevel TLSAuthLevel
	// TLSDomain is the name (or *.domain pattern) DomainValidation checks;
	// empty means the recipient domain.
	TLSDomain string
	// IgnoreStartTLS never upgrades, even when STARTTLS is offered.
	IgnoreStartTLS bool
	// ClientCert is presented during STARTTLS; required by ExchangeServer.
	ClientCert *tls.Certificate
	// AllowPlaintextAuth lets BasicAuth send credentials without TLS to a
	// non-loopback host. Off by default, as in net/smtp.PlainAuth.
	AllowPlaintextAuth bool
}

// Validate applies the reference system's cmdlet rules and hubedge's
// decisions. Errors wrap ErrInvalidPolicy. Rules that need the connector
// (smart hosts present, IP-literal smart hosts) belong to the connector.
func (p ClientPolicy) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPolicy}, args...)...)
	}
	switch {
	case !p.Auth.valid():
		return bad("unknown SmartHostAuthMechanism %d", uint8(p.Auth))
	case int(p.TLSAuthLevel) >= len(tlsLevelNames):
		return bad("unknown TlsAuthLevel %d", uint8(p.TLSAuthLevel))
	case p.Auth.sendsCredentials() && p.Credentials.Username == "":
		return bad("%s needs AuthenticationCredential", p.Auth)
	case p.Auth == SmartHostExchangeServer && p.ClientCert == nil:
		return bad("ExchangeServer needs a client certificate (mutual TLS)")
	case p.IgnoreStartTLS && p.RequireTLS:
		return bad("IgnoreSTARTTLS must be false when RequireTLS is true")
	case p.IgnoreStartTLS && p.requiresTLS():
		return bad("IgnoreSTARTTLS cannot be used with %s", p.Auth)
	case p.TLSAuthLevel != TLSAuthUnset && (p.IgnoreStartTLS || !p.RequireTLS):
		return bad("TlsAuthLevel needs RequireTLS and no IgnoreSTARTTLS")
	case p.TLSDomain != "" && p.TLSAuthLevel != DomainValidation:
		return bad("TlsDomain is used only with DomainValidation")
	case p.TLSDomain != "" && !validDomainPattern(p.TLSDomain):
		return bad("TlsDomain %q is not a domain or *.domain", p.TLSDomain)
	}
	return nil
}

// requiresTLS reports whether delivery must not continue without TLS.
func (p ClientPolicy) requiresTLS() bool {
	return p.RequireTLS || p.strict()
}

// strict: the smart host must prove it is the configured FQDN.
func (p ClientPolicy) strict() bool {
	return p.Auth == SmartHostBasicAuthRequireTLS || p.Auth == SmartHostExchangeServer
}

// needsVerify reports whether certificate checks are demanded at all.
func (p ClientPolicy) needsVerify() bool {
	return p.strict() || p.TLSAuthLevel >= CertificateValidation
}

// TLSConfig returns the client TLS configuration for STARTTLS to smartHost.
// roots nil means the system pool. SNI is always the smart host name.
//   - BasicAuthRequireTLS / ExchangeServer: the standard library verifies
//     the chain and the smart host FQDN (plus TlsDomain under
//     DomainValidation, in VerifyConnection);
//   - CertificateValidation / DomainValidation: the chain (and TlsDomain)
//     are verified in VerifyConnection;
//   - otherwise (EncryptionOnly, opportunistic): no checks, by policy.
//
// The recipient-domain check of DomainValidation without TlsDomain cannot
// happen here; Plan asks for it through StepVerify and VerifyPeer.
func (p ClientPolicy) TLSConfig(smartHost string, roots *x509.CertPool) *tls.Config {
	host := hostOnly(smartHost)
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if !isIPLiteral(host) {
		cfg.ServerName = host
	}
	if p.ClientCert != nil {
		cfg.Certificates = []tls.Certificate{*p.ClientCert}
	}
	verify := func(cs tls.ConnectionState) error { return p.verify(smartHost, "", cs, roots, true) }
	switch {
	case p.strict() && !isIPLiteral(host):
		if p.TLSAuthLevel == DomainValidation {
			cfg.VerifyConnection = verify
		}
	case p.needsVerify():
		cfg.InsecureSkipVerify = true // verified by VerifyConnection below
		cfg.VerifyConnection = verify
	default:
		cfg.InsecureSkipVerify = true // EncryptionOnly: the policy asks for no checks
	}
	return cfg
}

// VerifyPeer checks a completed handshake with smartHost against the
// certificate checks the policy demands; recipientDomain is used by
// DomainValidation when TlsDomain is empty. Revocation is not checked.
// Failures are *CertificateError matching ErrCertificate.
func (p ClientPolicy) VerifyPeer(smartHost, recipientDomain string, cs tls.ConnectionState, roots *x509.CertPool) error {
	return p.verify(smartHost, recipientDomain, cs, roots, false)
}

func (p ClientPolicy) verify(smartHost, recipient string, cs tls.ConnectionState, roots *x509.CertPool, inHandshake bool) error {
	if !p.needsVerify() {
		return nil
	}
	fail := func(name, subject string, err error) error {
		return &CertificateError{Name: name, Subject: subject, Sentinel: ErrCertificate, Err: err}
	}
	// VerifyConnection runs before HandshakeComplete is set.
	if (!inHandshake && !cs.HandshakeComplete) || len(cs.PeerCertificates) == 0 {
		return fail("", "", errors.New("no certificate presented"))
	}
	leaf := cs.PeerCertificates[0]
	subject := leaf.Subject.String()
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		return fail("", subject, err)
	}
	if p.strict() {
		host := hostOnly(smartHost)
		if host == "" || isIPLiteral(host) {
			return fail(host, subject, fmt.Errorf("%s needs the smart host's FQDN, not an IP literal", p.Auth))
		}
		if err := leaf.VerifyHostname(host); err != nil {
			return fail(host, subject, err)
		}
	}
	if p.TLSAuthLevel != DomainValidation {
		return nil
	}
	domain := p.TLSDomain
	if domain == "" {
		if inHandshake {
			return nil // recipient unknown here; Plan's StepVerify checks it
		}
		domain = recipient
	}
	if domain == "" {
		return fail("", subject, errors.New("DomainValidation without TlsDomain or recipient domain"))
	}
	if err := matchDomain(leaf, domain); err != nil {
		return fail(domain, subject, err)
	}
	return nil
}

// matchDomain checks leaf against a TlsDomain: a host name, or "*.d" which
// accepts any certificate name equal to d or under it.
func matchDomain(leaf *x509.Certificate, domain string) error {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	suffix, wild := strings.CutPrefix(domain, "*.")
	if !wild {
		return leaf.VerifyHostname(domain)
	}
	for _, n := range leaf.DNSNames {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n == suffix || strings.HasSuffix(n, "."+suffix) {
			return nil
		}
	}
	return x509.HostnameError{Certificate: leaf, Host: domain}
}

// hostOnly strips IP-literal brackets and a trailing dot.
func hostOnly(h string) string {
	h = strings.TrimSpace(h)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	return strings.TrimSuffix(h, ".")
}

func isIPLiteral(h string) bool {
	_, err := netip.ParseAddr(strings.TrimPrefix(h, "IPv6:"))
	return err == nil
}

// isLoopback follows net/smtp.PlainAuth: localhost or a loopback address.
func isLoopback(smartHost string) bool {
	h := hostOnly(smartHost)
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimPrefix(h, "IPv6:"))
	return err == nil && a.IsLoopback()
}

func validDomainPattern(d string) bool {
	d = strings.TrimSuffix(strings.TrimPrefix(d, "*."), ".")
	if d == "" || len(d) > 253 {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}
