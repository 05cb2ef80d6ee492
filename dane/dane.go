package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// TLSA certificate usages, selectors and matching types (RFC 6698 §2.1,
// RFC 7218 acronyms).
const (
	UsageDANETA = 2 // trust anchor: a CA certificate or key in the chain
	UsageDANEEE = 3 // end entity: the server's own certificate or key

	SelectorCert = 0 // the whole DER certificate
	SelectorSPKI = 1 // its SubjectPublicKeyInfo

	MatchFull   = 0 // the selected data itself
	MatchSHA256 = 1
	MatchSHA512 = 2
)

// ErrNoMatch is wrapped by every *MismatchError.
var ErrNoMatch = errors.New("dane: no TLSA record matched")

// MismatchError says why the server's certificate failed DANE
// authentication. Its text names the host, for the queue's last error.
type MismatchError struct {
	Host   string // the MX host whose TLSA records were used
	Reason string // "" for a plain mismatch, else what failed (e.g. a TA-issued leaf's name)
	Err    error  // underlying x509 error for DANE-TA path validation, or nil
}

func (e *MismatchError) Error() string {
	s := "DANE: no TLSA record matched the certificate of " + e.Host
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// Unwrap returns ErrNoMatch and the x509 cause, if any.
func (e *MismatchError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrNoMatch, e.Err}
	}
	return []error{ErrNoMatch}
}

// Match reports which record authenticated the server.
type Match struct {
	Record *dns.TLSA
	Cert   *x509.Certificate // the certificate it matched (the leaf for DANE-EE)
}

// Usable returns the records RFC 7672 allows an SMTP client to use:
// DANE-TA and DANE-EE usages with known selectors and matching types and
// data of the right length. If records exist but none is usable, RFC 7672
// §2.2 still forbids plaintext but asks for no authentication.
func Usable(rrs []*dns.TLSA) []*dns.TLSA {
	var out []*dns.TLSA
	for _, r := range rrs {
		if r != nil && usable(r) {
			out = append(out, r)
		}
	}
	return out
}

func usable(r *dns.TLSA) bool {
	if r.Usage != UsageDANETA && r.Usage != UsageDANEEE {
		return false // PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (RFC 7672 §3.1.3)
	}
	if r.Selector != SelectorCert && r.Selector != SelectorSPKI {
		return false
	}
	data, err := hex.DecodeString(r.Certificate)
	if err != nil {
		return false
	}
	switch r.MatchingType {
	case MatchFull:
		return len(data) > 0
	case MatchSHA256:
		return len(data) == sha256.Size
	case MatchSHA512:
		return len(data) == sha512.Size
	}
	return false
}

// matches reports whether r's data is that of cert.
func matches(r *dns.TLSA, cert *x509.Certificate) bool {
	want, err := hex.DecodeString(r.Certificate)
	if err != nil {
		return false
	}
	sel := cert.Raw
	if r.Selector == SelectorSPKI {
		sel = cert.RawSubjectPublicKeyInfo
	}
	var got []byte
	switch r.MatchingType {
	case MatchFull:
		got = sel
	case MatchSHA256:
		h := sha256.Sum256(sel)
		got = h[:]
	case MatchSHA512:
		h := sha512.Sum512(sel)
		got = h[:]
	default:
		return false
	}
	return bytes.Equal(got, want)
}

// Verify authenticates a server chain (leaf first, as in
// tls.ConnectionState.PeerCertificates) against records, which should
// have been filtered by Usable. names are the reference identifiers a
// DANE-TA-issued leaf must carry (RFC 7672 §3.2.2: the MX host name, the
// first one also names the host in errors); now is the time at which the
// chain must be valid. DANE-EE records are tried first: they need no path
// validation. Failures are *MismatchError.
func Verify(records []*dns.TLSA, chain []*x509.Certificate, names []string, now time.Time) (Match, error) {
	host := ""
	if len(names) > 0 {
		host = strings.TrimSuffix(names[0], ".")
	}
	if len(chain) == 0 {
		return Match{}, &MismatchError{Host: host, Reason: "no certificate presented"}
	}
	for _, r := range records {
		if r.Usage == UsageDANEEE && usable(r) && matches(r, chain[0]) {
			return Match{Record: r, Cert: chain[0]}, nil
		}
	}
	var lastErr error
	for _, r := range records {
		if r.Usage != UsageDANETA || !usable(r) {
			continue
		}
		for i, c := range chain {
			if !matches(r, c) {
				continue
			}
			if err := validateFrom(chain[:i], c, names, now); err != nil {
				lastErr = err
				continue
			}
			return Match{Record: r, Cert: c}, nil
		}
	}
	if lastErr != nil {
		return Match{}, &MismatchError{Host: host, Reason: "DANE-TA matched but the chain does not validate", Err: lastErr}
	}
	return Match{}, &MismatchError{Host: host}
}

// validateFrom checks that below (leaf first) chains to anchor and that
// the leaf names one of names. A leaf that is itself the anchor only needs
// the name.
func validateFrom(below []*x509.Certificate, anchor *x509.Certificate, names []string, now time.Time) error {
	leaf := anchor
	if len(below) > 0 {
		leaf = below[0]
	}
	roots := x509.NewCertPool()
	roots.AddCert(anchor)
	inter := x509.NewCertPool()
	for _, c := range below[min(1, len(below)):] {
		inter.AddCert(c)
	}
	var errs []error
	for _, n := range names {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: strings.TrimSuffix(n, "."), Roots: roots,
			Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return fmt.Errorf("dane: no reference identifier to check %s against", leaf.Subject)
	}
	return errors.Join(errs...)
}
