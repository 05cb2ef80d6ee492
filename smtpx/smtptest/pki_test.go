package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
)

func verify(pki *PKI, cert tls.Certificate, name string, usage x509.ExtKeyUsage) error {
	_, err := cert.Leaf.Verify(x509.VerifyOptions{
		DNSName:   name,
		Roots:     pki.Pool(),
		KeyUsages: []x509.ExtKeyUsage{usage},
	})
	return err
}

func TestPKICertificate(t *testing.T) {
	pki := NewPKI(t)
	cert := pki.Certificate("mx1.fabrikam.com", "mail.fabrikam.com", "127.0.0.1", "::1")
	tests := []struct {
		name  string
		usage x509.ExtKeyUsage
		ok    bool
	}{
		{"mx1.fabrikam.com", x509.ExtKeyUsageServerAuth, true},
		{"MAIL.fabrikam.com", x509.ExtKeyUsageServerAuth, true},
		{"127.0.0.1", x509.ExtKeyUsageServerAuth, true},
		{"::1", x509.ExtKeyUsageServerAuth, true},
		{"mx1.fabrikam.com", x509.ExtKeyUsageClientAuth, true},
		{"mx2.fabrikam.com", x509.ExtKeyUsageServerAuth, false},
		{"fabrikam.com", x509.ExtKeyUsageServerAuth, false},
		{"127.0.0.2", x509.ExtKeyUsageServerAuth, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(pki, cert, tt.name, tt.usage)
			if (err == nil) != tt.ok {
				t.Errorf("Verify(%s) = %v, want ok=%v", tt.name, err, tt.ok)
			}
		})
	}
	if got := cert.Leaf.Subject.CommonName; got != "mx1.fabrikam.com" {
		t.Errorf("CN = %q", got)
	}
	if !pki.CACert().IsCA {
		t.Error("CA certificate is not a CA")
	}
}

func TestPKIOtherCAFails(t *testing.T) {
	a, b := NewPKI(t), NewPKI(t)
	if err := verify(b, a.Certificate("x.example"), "x.example", x509.ExtKeyUsageServerAuth); err == nil {
		t.Fatal("certificate from another CA verified")
	}
}

func TestPKIClientCertificate(t *testing.T) {
	pki := NewPKI(t)
	cert := pki.ClientCertificate("hub1.contoso.com")
	if err := verify(pki, cert, "hub1.contoso.com", x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("client auth: %v", err)
	}
	if err := verify(pki, cert, "hub1.contoso.com", x509.ExtKeyUsageServerAuth); err == nil {
		t.Error("client-only certificate verified for server auth")
	}
}

// TestPKITLSConfigs runs a mutual-TLS handshake with the ready-made
// configurations and checks that a wrong server name fails.
func TestPKITLSConfigs(t *testing.T) {
	pki := NewPKI(t)
	tests := []struct {
		serverName string
		clientCert bool
		ok         bool
	}{
		{"mx1.fabrikam.com", false, true},
		{"mx1.fabrikam.com", true, true},
		{"wrong.fabrikam.com", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.serverName, func(t *testing.T) {
			cc, sc := net.Pipe()
			defer cc.Close()
			defer sc.Close()
			ccfg := pki.ClientTLSConfig(tt.serverName)
			if tt.clientCert {
				ccfg.Certificates = []tls.Certificate{pki.ClientCertificate("hub1.contoso.com")}
			}
			srv := tls.Server(sc, pki.ServerTLSConfig("mx1.fabrikam.com"))
			done := make(chan error, 1)
			go func() { done <- srv.Handshake(); sc.Close() }()
			err := tls.Client(cc, ccfg).Handshake()
			cc.Close()
			srvErr := <-done
			if (err == nil) != tt.ok {
				t.Fatalf("client handshake = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && srvErr != nil {
				t.Fatalf("server handshake: %v", srvErr)
			}
			if tt.ok && tt.clientCert {
				peers := srv.ConnectionState().PeerCertificates
				if len(peers) != 1 || peers[0].Subject.CommonName != "hub1.contoso.com" {
					t.Errorf("peer certificates = %v", peers)
				}
			}
		})
	}
}

func TestSelfSigned(t *testing.T) {
	cert, err := SelfSigned("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: pool}); err != nil {
		t.Errorf("self-signed does not verify against itself: %v", err)
	}
	if _, err := SelfSigned(); err == nil {
		t.Error("SelfSigned() with no names succeeded")
	}
}

func TestPKINoNamesIsFatal(t *testing.T) {
	msg := expectFatal(func(tb TB) { NewPKI(tb).Certificate() })
	if msg == "" {
		t.Fatal("Certificate() with no names did not fail")
	}
}
