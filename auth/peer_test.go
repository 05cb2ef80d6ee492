package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/hubedge/hubedge/perms"
)

func TestPeerVerifier(t *testing.T) {
	ca := newCA(t, "Contoso Transport CA")
	inter := newCert(t, certSpec{cn: "Contoso Issuing CA", ca: true}, &ca)
	hub := clientCert(t, &ca, "hub1.contoso.com")
	viaInter := clientCert(t, &inter, "hub2.contoso.com")
	serverOnly := serverCert(t, ca, "mail.contoso.com")
	selfSigned := clientCert(t, nil, "edge1.contoso.net")
	stranger := clientCert(t, nil, "edge9.contoso.net")
	otherCA := newCA(t, "Other CA")
	foreign := clientCert(t, &otherCA, "mx.fabrikam.com")
	expired := newCert(t, certSpec{cn: "old.contoso.net", usage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)}, nil)

	chain := &PeerVerifier{Roots: ca.pool()}
	pinned := &PeerVerifier{Pinned: []*x509.Certificate{selfSigned.cert, expired.cert}, Principal: perms.EdgeTransportServers}
	tests := []struct {
		name    string
		v       *PeerVerifier
		cs      tls.ConnectionState
		wantErr error
		wantP   perms.Principal
	}{
		{"chain to root", chain, state(hub), nil, perms.HubTransportServers},
		{"chain via intermediate", chain, state(viaInter, inter), nil, perms.HubTransportServers},
		{"missing intermediate", chain, state(viaInter), ErrUntrustedPeer, ""},
		{"server-auth only", chain, state(serverOnly), ErrUntrustedPeer, ""},
		{"other CA", chain, state(foreign), ErrUntrustedPeer, ""},
		{"pinned self-signed", pinned, state(selfSigned), nil, perms.EdgeTransportServers},
		{"not pinned", pinned, state(stranger), ErrUntrustedPeer, ""},
		{"pinned but expired", pinned, state(expired), ErrUntrustedPeer, ""},
		{"no certificate", chain, state(), ErrNoPeerCertificate, ""},
		{"handshake incomplete", chain, tls.ConnectionState{PeerCertificates: []*x509.Certificate{hub.cert}}, ErrNoPeerCertificate, ""},
		{"no anchors", &PeerVerifier{}, state(hub), ErrUntrustedPeer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := tt.v.Verify(tt.cs)
			if tt.wantErr != nil {
				var ce *CertificateError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("err = %v, want %v as *CertificateError", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Principal != tt.wantP || id.Mechanism != "ExchangeServer" || id.Username == "" {
				t.Fatalf("identity %+v", id)
			}
		})
	}
}

func TestPeerVerifierUnwrapsX509(t *testing.T) {
	ca := newCA(t, "CA")
	other := clientCert(t, nil, "x.example")
	_, err := (&PeerVerifier{Roots: ca.pool()}).Verify(state(other))
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Fatalf("err %v does not expose x509.UnknownAuthorityError", err)
	}
}

func TestPeerVerifierClock(t *testing.T) {
	c := clientCert(t, nil, "edge.example")
	v := &PeerVerifier{Pinned: []*x509.Certificate{c.cert}, Now: func() time.Time { return c.cert.NotAfter.Add(time.Second) }}
	if _, err := v.Verify(state(c)); !errors.Is(err, ErrUntrustedPeer) {
		t.Fatalf("expired by injected clock: %v", err)
	}
}

// TestPeerVerifierHandshake runs mutual TLS as a receive connector with
// ExchangeServer would: request a client certificate, verify it afterwards.
func TestPeerVerifierHandshake(t *testing.T) {
	ca := newCA(t, "CA")
	srv := serverCert(t, ca, "hub.contoso.com")
	edge := clientCert(t, &ca, "edge.contoso.com")
	serverCfg := &tls.Config{Certificates: []tls.Certificate{srv.tls()}, ClientAuth: tls.RequestClientCert}
	clientCfg := &tls.Config{RootCAs: ca.pool(), ServerName: "hub.contoso.com", Certificates: []tls.Certificate{edge.tls()}}
	_, err, cs := handshake(t, clientCfg, serverCfg)
	if err != nil {
		t.Fatal(err)
	}
	id, err := (&PeerVerifier{Roots: ca.pool()}).Verify(cs)
	if err != nil || id.Principal != perms.HubTransportServers {
		t.Fatalf("Verify = %+v, %v", id, err)
	}
}
