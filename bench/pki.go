package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Key types of the bench PKI.
const (
	keyECDSA = "ecdsa" // P-256
	keyRSA   = "rsa"   // 2048 bits
)

// pkiFiles are the PEM files of one bench PKI: a root CA and one leaf,
// valid for server and client authentication, that every TLS endpoint of a
// run presents (the relays and the sink alike, as "the same certificates").
type pkiFiles struct {
	CA, Cert, Key string
}

// benchServerName is the name every TLS client of the bench verifies.
const benchServerName = "relay.bench.example"

func newKey(keyType string) (crypto.Signer, error) {
	switch keyType {
	case keyECDSA:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case keyRSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("bench: unknown key type %q (want %s or %s)", keyType, keyECDSA, keyRSA)
}

// writePKI creates a CA and a leaf for benchServerName, localhost and
// 127.0.0.1, both with keys of keyType, as PEM files in dir. The key file
// is world-readable: it is a throwaway test key, and Postfix's daemons and
// the gateway must all read it.
func writePKI(dir, keyType string) (pkiFiles, error) {
	f := pkiFiles{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return f, err
	}
	caKey, err := newKey(keyType)
	if err != nil {
		return f, err
	}
	leafKey, err := newKey(keyType)
	if err != nil {
		return f, err
	}
	now := time.Now().Add(-time.Hour) // tolerate clock skew between processes
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hubedge bench CA"},
		NotBefore: now, NotAfter: now.Add(7 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		return f, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return f, err
	}
	usage := x509.KeyUsageDigitalSignature
	if keyType == keyRSA {
		usage |= x509.KeyUsageKeyEncipherment
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: benchServerName},
		NotBefore: now, NotAfter: now.Add(7 * 24 * time.Hour),
		DNSNames: []string{benchServerName, "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    usage,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, leafKey.Public(), caKey)
	if err != nil {
		return f, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return f, err
	}
	// The leaf file carries the CA too, so every server sends the whole
	// chain, as a deployed server with an intermediate would.
	files := []struct {
		path   string
		blocks []*pem.Block
	}{
		{f.CA, []*pem.Block{{Type: "CERTIFICATE", Bytes: caDER}}},
		{f.Cert, []*pem.Block{{Type: "CERTIFICATE", Bytes: leafDER}, {Type: "CERTIFICATE", Bytes: caDER}}},
		{f.Key, []*pem.Block{{Type: "PRIVATE KEY", Bytes: keyDER}}},
	}
	for _, fl := range files {
		var b []byte
		for _, blk := range fl.blocks {
			b = append(b, pem.EncodeToMemory(blk)...)
		}
		if err := os.WriteFile(fl.path, b, 0o644); err != nil {
			return f, err
		}
	}
	return f, nil
}
