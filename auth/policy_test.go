package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
)

func TestClientPolicyValidate(t *testing.T) {
	cred := Credentials{Username: "gw", Password: "pw"}
	cert := &tls.Certificate{}
	tests := []struct {
		name string
		p    ClientPolicy
		ok   bool
	}{
		{"zero", ClientPolicy{}, true},
		{"basic", ClientPolicy{Auth: SmartHostBasicAuth, Credentials: cred}, true},
		{"basic no credentials", ClientPolicy{Auth: SmartHostBasicAuth}, false},
		{"basic require tls", ClientPolicy{Auth: SmartHostBasicAuthRequireTLS, Credentials: cred}, true},
		{"basic require tls no credentials", ClientPolicy{Auth: SmartHostBasicAuthRequireTLS}, false},
		{"exchange server", ClientPolicy{Auth: SmartHostExchangeServer, ClientCert: cert}, true},
		{"exchange server no cert", ClientPolicy{Auth: SmartHostExchangeServer}, false},
		{"external", ClientPolicy{Auth: SmartHostExternalAuthoritative}, true},
		{"require and ignore", ClientPolicy{RequireTLS: true, IgnoreStartTLS: true}, false},
		{"ignore with require-tls auth", ClientPolicy{Auth: SmartHostBasicAuthRequireTLS, Credentials: cred, IgnoreStartTLS: true}, false},
		{"level without require", ClientPolicy{TLSAuthLevel: EncryptionOnly}, false},
		{"level with require", ClientPolicy{RequireTLS: true, TLSAuthLevel: CertificateValidation}, true},
		{"domain without level", ClientPolicy{RequireTLS: true, TLSDomain: "contoso.com"}, false},
		{"domain validation", ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation, TLSDomain: "*.contoso.com"}, true},
		{"domain validation recipient", ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation}, true},
		{"bad domain", ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation, TLSDomain: "a..b"}, false},
		{"bad wildcard", ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation, TLSDomain: "*contoso.com"}, false},
		{"unknown auth", ClientPolicy{Auth: 42}, false},
		{"unknown level", ClientPolicy{RequireTLS: true, TLSAuthLevel: 9}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidPolicy)) {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// tlsEnv is a small PKI for smart-host handshakes.
type tlsEnv struct {
	ca, otherCA testCert
	roots       *x509.CertPool
}

func newTLSEnv(t *testing.T) tlsEnv {
	ca := newCA(t, "Contoso Root")
	return tlsEnv{ca: ca, otherCA: newCA(t, "Untrusted Root"), roots: ca.pool()}
}

func TestTLSConfigHandshakes(t *testing.T) {
	env := newTLSEnv(t)
	cred := Credentials{Username: "gw", Password: "pw"}
	smtpCert := serverCert(t, env.ca, "smtp.contoso.com")
	wrongName := serverCert(t, env.ca, "other.contoso.com")
	untrusted := serverCert(t, env.otherCA, "smtp.contoso.com")
	selfSigned := newCert(t, certSpec{cn: "localhost", dns: []string{"smtp.contoso.com"}}, nil)
	ipCert := newCert(t, certSpec{cn: "10.0.0.5", ips: []net.IP{net.ParseIP("10.0.0.5")}, usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, &env.ca)
	mx1 := serverCert(t, env.ca, "mx1.relay.contoso.com")
	fabrikam := serverCert(t, env.ca, "mx.fabrikam.com", "fabrikam.com")

	requireTLS := ClientPolicy{Auth: SmartHostBasicAuthRequireTLS, Credentials: cred}
	certVal := ClientPolicy{RequireTLS: true, TLSAuthLevel: CertificateValidation}
	domainVal := ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation, TLSDomain: "*.contoso.com"}
	tests := []struct {
		name   string
		p      ClientPolicy
		host   string
		server testCert
		ok     bool
	}{
		{"require-tls good", requireTLS, "smtp.contoso.com", smtpCert, true},
		{"require-tls trailing dot", requireTLS, "smtp.contoso.com.", smtpCert, true},
		{"require-tls wrong name", requireTLS, "smtp.contoso.com", wrongName, false},
		{"require-tls untrusted", requireTLS, "smtp.contoso.com", untrusted, false},
		{"require-tls IP literal", requireTLS, "10.0.0.5", ipCert, false},
		{"require-tls plus domain mismatch", ClientPolicy{Auth: SmartHostBasicAuthRequireTLS, Credentials: cred,
			RequireTLS: true, TLSAuthLevel: DomainValidation, TLSDomain: "fabrikam.com"}, "smtp.contoso.com", smtpCert, false},
		{"encryption only self-signed", ClientPolicy{RequireTLS: true, TLSAuthLevel: EncryptionOnly}, "smtp.contoso.com", selfSigned, true},
		{"opportunistic self-signed", ClientPolicy{}, "smtp.contoso.com", selfSigned, true},
		{"basic auth self-signed", ClientPolicy{Auth: SmartHostBasicAuth, Credentials: cred}, "smtp.contoso.com", selfSigned, true},
		{"cert validation any name", certVal, "smtp.contoso.com", wrongName, true},
		{"cert validation untrusted", certVal, "smtp.contoso.com", untrusted, false},
		{"domain wildcard match", domainVal, "mx1.relay.contoso.com", mx1, true},
		{"domain wildcard mismatch", domainVal, "mx.fabrikam.com", fabrikam, false},
		{"domain recipient deferred", ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation}, "mx.fabrikam.com", fabrikam, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &tls.Config{Certificates: []tls.Certificate{tt.server.tls()}}
			cs, err, _ := handshake(t, tt.p.TLSConfig(tt.host, env.roots), srv)
			if tt.ok != (err == nil) {
				t.Fatalf("handshake err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				return
			}
			if err := tt.p.VerifyPeer(tt.host, "fabrikam.com", cs, env.roots); err != nil {
				t.Fatalf("VerifyPeer after a good handshake: %v", err)
			}
		})
	}
}

func TestVerifyPeer(t *testing.T) {
	env := newTLSEnv(t)
	fabrikam := serverCert(t, env.ca, "mx.fabrikam.com")
	wild := serverCert(t, env.ca, "*.contoso.com")
	recipient := ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation}
	tests := []struct {
		name      string
		p         ClientPolicy
		host, rcp string
		cs        tls.ConnectionState
		ok        bool
	}{
		{"recipient domain matches", recipient, "mx.fabrikam.com", "mx.fabrikam.com", state(fabrikam), true},
		{"recipient domain differs", recipient, "mx.fabrikam.com", "contoso.com", state(fabrikam), false},
		{"no domain at all", recipient, "mx.fabrikam.com", "", state(fabrikam), false},
		{"wildcard cert for TlsDomain pattern", ClientPolicy{RequireTLS: true, TLSAuthLevel: DomainValidation, TLSDomain: "*.contoso.com"},
			"a.contoso.com", "", state(wild), true},
		{"no certificate", recipient, "mx.fabrikam.com", "mx.fabrikam.com", tls.ConnectionState{HandshakeComplete: true}, false},
		{"not completed", recipient, "mx.fabrikam.com", "mx.fabrikam.com", tls.ConnectionState{PeerCertificates: state(fabrikam).PeerCertificates}, false},
		{"nothing demanded", ClientPolicy{}, "x", "", tls.ConnectionState{}, true},
		{"exchange server name", ClientPolicy{Auth: SmartHostExchangeServer, ClientCert: &tls.Certificate{}}, "mx.fabrikam.com", "", state(fabrikam), true},
		{"exchange server wrong name", ClientPolicy{Auth: SmartHostExchangeServer, ClientCert: &tls.Certificate{}}, "hub.contoso.com", "", state(fabrikam), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.VerifyPeer(tt.host, tt.rcp, tt.cs, env.roots)
			if tt.ok != (err == nil) {
				t.Fatalf("VerifyPeer = %v, want ok=%v", err, tt.ok)
			}
			var ce *CertificateError
			if err != nil && (!errors.Is(err, ErrCertificate) || !errors.As(err, &ce)) {
				t.Fatalf("error %v is not a *CertificateError matching ErrCertificate", err)
			}
		})
	}
}

// TestExchangeServerMutualTLS: the send side presents ClientCert and the
// receive side's PeerVerifier accepts it.
func TestExchangeServerMutualTLS(t *testing.T) {
	env := newTLSEnv(t)
	hubCert := serverCert(t, env.ca, "hub.contoso.com")
	edge := clientCert(t, &env.ca, "edge.contoso.com")
	edgeTLS := edge.tls()
	p := ClientPolicy{Auth: SmartHostExchangeServer, ClientCert: &edgeTLS}
	srv := &tls.Config{Certificates: []tls.Certificate{hubCert.tls()}, ClientAuth: tls.RequireAnyClientCert}
	cs, err, serverSide := handshake(t, p.TLSConfig("hub.contoso.com", env.roots), srv)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifyPeer("hub.contoso.com", "", cs, env.roots); err != nil {
		t.Fatal(err)
	}
	if _, err := (&PeerVerifier{Roots: env.roots}).Verify(serverSide); err != nil {
		t.Fatalf("receive side rejects the send side's certificate: %v", err)
	}
}

func TestHostHelpers(t *testing.T) {
	for h, want := range map[string]bool{"localhost": true, "LOCALHOST.": true, "127.0.0.1": true, "[::1]": true,
		"[IPv6:::1]": true, "127.1.2.3": true, "mail.contoso.com": false, "10.0.0.1": false, "": false} {
		if got := isLoopback(h); got != want {
			t.Errorf("isLoopback(%q) = %v", h, got)
		}
	}
}
