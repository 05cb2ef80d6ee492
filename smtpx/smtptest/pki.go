package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// certLifetime bounds every certificate the harness issues. Certificates
// are backdated by an hour so small clock skews between goroutines and
// processes never make them "not yet valid".
const (
	certLifetime = 24 * time.Hour
	certBackdate = time.Hour
)

// PKI is an in-memory certificate authority for tests. It issues ECDSA
// P-256 leaf certificates for any set of DNS names or IP addresses, all
// chaining to a single self-signed root returned by CACert and Pool.
//
// A PKI is safe for concurrent use.
type PKI struct {
	t    TB
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pool *x509.CertPool

	mu     sync.Mutex
	serial int64
}

// NewPKI creates a test CA named "smtptest CA". It calls t.Fatalf if key
// generation fails. Nothing needs cleaning up: the CA lives in memory.
func NewPKI(t TB) *PKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtptest: generating CA key: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest CA", Organization: []string{"hubedge smtptest"}},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtptest: creating CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("smtptest: parsing CA certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &PKI{t: t, key: key, cert: cert, pool: pool, serial: 1}
}

// CACert returns the root certificate.
func (p *PKI) CACert() *x509.Certificate { return p.cert }

// Pool returns a fresh pool holding only the root certificate, suitable
// for tls.Config.RootCAs and ClientCAs.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.cert)
	return pool
}

// Certificate issues a leaf certificate valid for every name, usable for
// both server and client authentication (a transport server presents the
// same certificate in both roles). Names that parse as IP addresses
// become IP SANs, the others DNS SANs; the first name is also the subject
// common name. It calls t.Fatalf if names is empty or signing fails.
func (p *PKI) Certificate(names ...string) tls.Certificate {
	p.t.Helper()
	return p.issue(names, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
}

// ClientCertificate issues a leaf certificate for name usable only for
// TLS client authentication, as a mutual-TLS peer would present.
func (p *PKI) ClientCertificate(name string) tls.Certificate {
	p.t.Helper()
	return p.issue([]string{name}, x509.ExtKeyUsageClientAuth)
}

// ServerTLSConfig returns a server configuration presenting a
// certificate for names and verifying any client certificate offered
// against the CA (tls.VerifyClientCertIfGiven), so both anonymous and
// mutually authenticated peers can connect.
func (p *PKI) ServerTLSConfig(names ...string) *tls.Config {
	p.t.Helper()
	return &tls.Config{
		Certificates: []tls.Certificate{p.Certificate(names...)},
		ClientCAs:    p.Pool(),
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}
}

// ClientTLSConfig returns a client configuration that trusts only the CA
// and verifies the server's certificate against serverName.
func (p *PKI) ClientTLSConfig(serverName string) *tls.Config {
	return &tls.Config{
		RootCAs:    p.Pool(),
		ServerName: serverName,
		MinVersion: tls.VersionTLS12,
	}
}

func (p *PKI) issue(names []string, usage ...x509.ExtKeyUsage) tls.Certificate {
	p.t.Helper()
	p.mu.Lock()
	p.serial++
	serial := p.serial
	p.mu.Unlock()
	cert, err := newLeaf(names, usage, big.NewInt(serial), p.cert, p.key)
	if err != nil {
		p.t.Fatalf("%v", err)
	}
	return cert
}

// SelfSigned returns a self-signed certificate for names, valid for
// server and client authentication. Unlike PKI it needs no TB, so example
// programs can use it behind a -selfsigned flag.
func SelfSigned(names ...string) (tls.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: serial: %w", err)
	}
	return newLeaf(names, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, serial, nil, nil)
}

// errNoNames is returned when a certificate is requested for no names.
var errNoNames = errors.New("smtptest: certificate needs at least one name")

// newLeaf signs a leaf with parent/parentKey, or self-signs when parent
// is nil.
func newLeaf(names []string, usage []x509.ExtKeyUsage, serial *big.Int, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (tls.Certificate, error) {
	if len(names) == 0 {
		return tls.Certificate{}, errNoNames
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: generating key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           usage,
		BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: signing certificate for %q: %w", names, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: parsing certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
