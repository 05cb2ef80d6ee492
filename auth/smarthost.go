package auth

import (
	"fmt"
	"log/slog"
	"strings"
)

// SmartHostAuth is a send connector's SmartHostAuthMechanism.
// The zero value is SmartHostNone.
type SmartHostAuth uint8

const (
	// SmartHostNone sends no AUTH (access is typically by source IP).
	SmartHostNone SmartHostAuth = iota
	// SmartHostBasicAuth sends the credentials with AUTH PLAIN or LOGIN.
	SmartHostBasicAuth
	// SmartHostBasicAuthRequireTLS upgrades with STARTTLS and validates the
	// smart host certificate against its FQDN before sending credentials.
	SmartHostBasicAuthRequireTLS
	// SmartHostExchangeServer presents ClientPolicy.ClientCert over TLS
	// (hubedge's form of Exchange server authentication).
	SmartHostExchangeServer
	// SmartHostExternalAuthoritative sends no AUTH: the link is secured
	// outside SMTP (IPsec, VPN).
	SmartHostExternalAuthoritative
)

var smartHostNames = [...]string{"None", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative"}

// ParseSmartHostAuth parses the administrators' name, case-insensitive.
// "BasicAuth,BasicAuthRequireTLS" (a form seen in the reference system's
// own documentation) means BasicAuthRequireTLS; other lists are an error,
// since the value is single-valued.
func ParseSmartHostAuth(s string) (SmartHostAuth, error) {
	var got []SmartHostAuth
	for item := range strings.SplitSeq(s, ",") {
		name := strings.TrimSpace(item)
		i := indexFold(smartHostNames[:], name)
		if i < 0 {
			return 0, &ParseError{Input: s, Msg: fmt.Sprintf("unknown SmartHostAuthMechanism %q (valid: %s)", name, strings.Join(smartHostNames[:], ", "))}
		}
		got = append(got, SmartHostAuth(i))
	}
	switch {
	case len(got) == 1:
		return got[0], nil
	case len(got) == 2 && min(got[0], got[1]) == SmartHostBasicAuth && max(got[0], got[1]) == SmartHostBasicAuthRequireTLS:
		return SmartHostBasicAuthRequireTLS, nil
	}
	return 0, &ParseError{Input: s, Msg: "SmartHostAuthMechanism takes a single value"}
}

func (a SmartHostAuth) String() string {
	if int(a) < len(smartHostNames) {
		return smartHostNames[a]
	}
	return fmt.Sprintf("SmartHostAuth(%d)", uint8(a))
}

func (a SmartHostAuth) valid() bool { return int(a) < len(smartHostNames) }

// sendsCredentials reports whether the mechanism uses Credentials.
func (a SmartHostAuth) sendsCredentials() bool {
	return a == SmartHostBasicAuth || a == SmartHostBasicAuthRequireTLS
}

// MarshalText implements encoding.TextMarshaler.
func (a SmartHostAuth) MarshalText() ([]byte, error) {
	if !a.valid() {
		return nil, fmt.Errorf("%w: SmartHostAuth(%d)", ErrInvalidPolicy, uint8(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; empty text is None.
func (a *SmartHostAuth) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*a = SmartHostNone
		return nil
	}
	v, err := ParseSmartHostAuth(string(text))
	if err == nil {
		*a = v
	}
	return err
}

// TLSAuthLevel is a send connector's TlsAuthLevel. The zero
// value TLSAuthUnset behaves as EncryptionOnly when TLS is used.
type TLSAuthLevel uint8

const (
	TLSAuthUnset TLSAuthLevel = iota
	// EncryptionOnly: encrypt, no certificate checks.
	EncryptionOnly
	// CertificateValidation: the chain must verify (revocation is not
	// checked; see ClientPolicy.VerifyPeer).
	CertificateValidation
	// DomainValidation: as CertificateValidation, and the certificate must
	// match TlsDomain (or the recipient domain when TlsDomain is empty).
	DomainValidation
)

var tlsLevelNames = [...]string{"", "EncryptionOnly", "CertificateValidation", "DomainValidation"}

// ParseTLSAuthLevel parses a TlsAuthLevel name, case-insensitive; the empty
// string is TLSAuthUnset.
func ParseTLSAuthLevel(s string) (TLSAuthLevel, error) {
	i := indexFold(tlsLevelNames[:], strings.TrimSpace(s))
	if i < 0 {
		return 0, &ParseError{Input: s, Msg: "unknown TlsAuthLevel (valid: EncryptionOnly, CertificateValidation, DomainValidation)"}
	}
	return TLSAuthLevel(i), nil
}

// String returns the TlsAuthLevel name; TLSAuthUnset is "".
func (l TLSAuthLevel) String() string {
	if int(l) < len(tlsLevelNames) {
		return tlsLevelNames[l]
	}
	return fmt.Sprintf("TLSAuthLevel(%d)", uint8(l))
}

// MarshalText implements encoding.TextMarshaler.
func (l TLSAuthLevel) MarshalText() ([]byte, error) {
	if int(l) >= len(tlsLevelNames) {
		return nil, fmt.Errorf("%w: TLSAuthLevel(%d)", ErrInvalidPolicy, uint8(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *TLSAuthLevel) UnmarshalText(text []byte) error {
	v, err := ParseTLSAuthLevel(string(text))
	if err == nil {
		*l = v
	}
	return err
}

func indexFold(names []string, s string) int {
	for i, n := range names {
		if strings.EqualFold(n, s) {
			return i
		}
	}
	return -1
}

// Credentials are the AuthenticationCredential of a send connector. Every
// printing path (fmt verbs, slog) redacts the password.
type Credentials struct {
	Username string
	Password string
}

// String prints the user name and hides the password.
func (c Credentials) String() string {
	if c.Password == "" {
		return fmt.Sprintf("Credentials{Username: %q}", c.Username)
	}
	return fmt.Sprintf("Credentials{Username: %q, Password: REDACTED}", c.Username)
}

// GoString hides the password from %#v too.
func (c Credentials) GoString() string { return "auth." + c.String() }

// LogValue hides the password from log/slog.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.Bool("password_set", c.Password != ""))
}

// IsZero reports whether no credentials are configured.
func (c Credentials) IsZero() bool { return c.Username == "" && c.Password == "" }
