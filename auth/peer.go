package auth

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"time"

	"github.com/hubedge/hubedge/perms"
)

// PeerVerifier authenticates a transport server by the client certificate it
// presents during STARTTLS (the ExchangeServer mechanism).
//
// It stands in for the reference system's server authentication: Kerberos
// (X-EXPS GSSAPI) inside an organisation and "direct trust" (certificates
// published to the directory) between Edge and Hub. Here a certificate is
// trusted when it chains to Roots for client authentication, or when it is
// byte-for-byte one of Pinned — the direct-trust form, which also accepts
// self-signed certificates. Both checks honour the validity period.
//
// The zero Principal means perms.HubTransportServers. A PeerVerifier is
// read-only after construction and safe for concurrent use.
type PeerVerifier struct {
	Roots     *x509.CertPool
	Pinned    []*x509.Certificate
	Principal perms.Principal
	// Now returns the time used for validity checks; nil means time.Now.
	Now func() time.Time
}

// errNoTrustAnchors reports a PeerVerifier with neither Roots nor Pinned.
var errNoTrustAnchors = errors.New("auth: peer verifier has no roots and no pinned certificates")

// Verify checks the peer certificate of a completed TLS handshake and
// returns the transport-server identity (Mechanism "ExchangeServer",
// Username the certificate subject). Failures are *CertificateError
// matching ErrNoPeerCertificate or ErrUntrustedPeer.
func (v *PeerVerifier) Verify(cs tls.ConnectionState) (Identity, error) {
	if !cs.HandshakeComplete || len(cs.PeerCertificates) == 0 {
		return Identity{}, &CertificateError{Sentinel: ErrNoPeerCertificate}
	}
	leaf := cs.PeerCertificates[0]
	subject := leaf.Subject.String()
	if v.Roots == nil && len(v.Pinned) == 0 {
		return Identity{}, &CertificateError{Subject: subject, Sentinel: ErrUntrustedPeer, Err: errNoTrustAnchors}
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if err := v.check(leaf, cs.PeerCertificates[1:], now); err != nil {
		return Identity{}, &CertificateError{Subject: subject, Sentinel: ErrUntrustedPeer, Err: err}
	}
	p := v.Principal
	if p == "" {
		p = perms.HubTransportServers
	}
	return Identity{Principal: p, Mechanism: "ExchangeServer", Username: subject}, nil
}

func (v *PeerVerifier) check(leaf *x509.Certificate, chain []*x509.Certificate, now time.Time) error {
	for _, pin := range v.Pinned {
		if pin != nil && bytes.Equal(pin.Raw, leaf.Raw) {
			if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
				return x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired}
			}
			return nil
		}
	}
	if v.Roots == nil {
		return errors.New("auth: certificate is not pinned")
	}
	inter := x509.NewCertPool()
	for _, c := range chain {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.Roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err
}
