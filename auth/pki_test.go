package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// testCert is a certificate with its key, generated in memory.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func (c testCert) tls() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.cert.Raw}, PrivateKey: c.key, Leaf: c.cert}
}

func (c testCert) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.cert)
	return p
}

type certSpec struct {
	cn        string
	dns       []string
	ips       []net.IP
	usage     []x509.ExtKeyUsage
	ca        bool
	notBefore time.Time
	notAfter  time.Time
}

var serial int64

// newCert issues spec, signed by parent (self-signed when parent is nil).
func newCert(t testing.TB, spec certSpec, parent *testCert) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	if spec.notBefore.IsZero() {
		spec.notBefore = time.Now().Add(-time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: spec.cn},
		DNSNames:              spec.dns,
		IPAddresses:           spec.ips,
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		ExtKeyUsage:           spec.usage,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  spec.ca,
	}
	if spec.ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: cert, key: key}
}

func newCA(t testing.TB, cn string) testCert {
	return newCert(t, certSpec{cn: cn, ca: true}, nil)
}

func serverCert(t testing.TB, ca testCert, dns ...string) testCert {
	return newCert(t, certSpec{cn: dns[0], dns: dns, usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, &ca)
}

func clientCert(t testing.TB, ca *testCert, cn string) testCert {
	return newCert(t, certSpec{cn: cn, dns: []string{cn}, usage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca)
}

// state wraps certificates into a completed ConnectionState.
func state(certs ...testCert) tls.ConnectionState {
	cs := tls.ConnectionState{HandshakeComplete: true}
	for _, c := range certs {
		cs.PeerCertificates = append(cs.PeerCertificates, c.cert)
	}
	return cs
}

// handshake runs a real TLS handshake over loopback TCP (net.Pipe would
// deadlock when one side aborts mid-flight) and returns the client's view,
// its error, and the server's view of the connection.
func handshake(t *testing.T, client, server *tls.Config) (tls.ConnectionState, error, tls.ConnectionState) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan tls.ConnectionState, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- tls.ConnectionState{}
			return
		}
		sc := tls.Server(conn, server)
		_ = sc.Handshake()
		done <- sc.ConnectionState()
		sc.Close()
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cc := tls.Client(conn, client)
	err = cc.Handshake()
	cs := cc.ConnectionState()
	cc.Close() // unblocks the server if the client gave up
	return cs, err, <-done
}
