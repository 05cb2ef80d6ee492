package auth

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Test with errors.Is; the typed errors below wrap them.
var (
	// ErrUnknownMechanism reports a mechanism name or bit that does not exist.
	ErrUnknownMechanism = errors.New("auth: unknown mechanism")
	// ErrInvalidCombination reports an AuthMechanism set the reference
	// system refuses.
	ErrInvalidCombination = errors.New("auth: invalid mechanism combination")
	// ErrUnsupported reports a mechanism hubedge deliberately does not
	// implement (Integrated: NTLM/Kerberos).
	ErrUnsupported = errors.New("auth: mechanism not supported")

	// ErrTLSRequired: AUTH before STARTTLS under BasicAuthRequireTLS.
	// Callers answer 538 5.7.11 (RFC 4954 §6).
	ErrTLSRequired = errors.New("auth: encryption required for requested authentication mechanism")
	// ErrAuthNotOffered: AUTH on a connector without BasicAuth.
	ErrAuthNotOffered = errors.New("auth: authentication not offered")
	// ErrAlreadyAuthenticated: a second AUTH in one session (RFC 4954 §4).
	ErrAlreadyAuthenticated = errors.New("auth: already authenticated")
	// ErrInvalidCredentials: unknown user or wrong password. Callers answer
	// 535 5.7.8; any other Authenticator error is a temporary failure.
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
	// ErrMalformedResponse: a SASL client response that cannot be decoded.
	ErrMalformedResponse = errors.New("auth: malformed SASL response")

	// ErrNoPeerCertificate: server authentication without a client
	// certificate (or before the handshake completed).
	ErrNoPeerCertificate = errors.New("auth: no peer certificate")
	// ErrUntrustedPeer: the client certificate neither chains to the trust
	// pool nor matches a pinned certificate.
	ErrUntrustedPeer = errors.New("auth: peer certificate not trusted")

	// ErrStartTLSRequired: the policy needs TLS and the next hop (a smart
	// host, or an MX host that DANE or MTA-STS holds to TLS) does not offer
	// STARTTLS.
	ErrStartTLSRequired = errors.New("auth: the next hop does not offer STARTTLS")
	// ErrCertificate: the next hop's certificate failed the checks the
	// policy demands.
	ErrCertificate = errors.New("auth: next hop certificate rejected")
	// ErrNoCommonMechanism: the smart host offers neither PLAIN nor LOGIN.
	ErrNoCommonMechanism = errors.New("auth: no common SASL mechanism")
	// ErrPlaintextAuth: credentials would travel without TLS and the policy
	// does not allow it.
	ErrPlaintextAuth = errors.New("auth: refusing to send credentials without TLS")
	// ErrInvalidPolicy: a ClientPolicy that the reference system refuses.
	ErrInvalidPolicy = errors.New("auth: invalid client policy")
)

// ParseError reports text that does not parse: an AuthMechanism list, a
// SmartHostAuthMechanism or TlsAuthLevel name, or a line of a password file.
// A password file error with a File prints FILE:LINE:COL: message, the form
// editors and other hubedge file errors use.
type ParseError struct {
	Input string // the offending text (never a password hash)
	File  string // password file path, set by LoadFile; "" for NewFile
	Line  int    // 1-based line of a password file; 0 otherwise
	Col   int    // 1-based column (in bytes) of the fault on Line; 0 if unknown
	Msg   string // what is wrong
	Err   error  // sentinel, if any (e.g. ErrUnknownMechanism)
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.File != "":
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("auth: line %d, column %d: %s", e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return "auth: line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return fmt.Sprintf("auth: parse %q: %s", e.Input, e.Msg)
}

func (e *ParseError) Unwrap() error { return e.Err }

// MechanismError reports an AuthMechanism set that Validate refuses.
type MechanismError struct {
	Set    Mechanism // the whole set
	Reason string    // which rule failed
	Err    error     // ErrInvalidCombination, ErrUnsupported or ErrUnknownMechanism
}

func (e *MechanismError) Error() string {
	return fmt.Sprintf("auth: AuthMechanism %q: %s", e.Set.String(), e.Reason)
}

func (e *MechanismError) Unwrap() error { return e.Err }

// PolicyError reports that the send-side policy cannot be met at Step.
// Delivery should be deferred (4.7.x) and retried, never continued: the
// error is Temporary.
type PolicyError struct {
	Step StepKind
	Err  error
}

func (e *PolicyError) Error() string {
	return "auth: the send policy failed at " + e.Step.String() + ": " + e.Err.Error()
}

func (e *PolicyError) Unwrap() error { return e.Err }

// Temporary reports true: a policy failure defers the message.
func (e *PolicyError) Temporary() bool { return true }

// CertificateError reports why a certificate was rejected, on either side.
// It matches both its sentinel (ErrCertificate or ErrUntrustedPeer) and the
// underlying x509 error with errors.Is/As.
type CertificateError struct {
	Name     string // name checked, if any
	Subject  string // subject of the leaf certificate, if any
	Sentinel error
	Err      error // underlying cause (x509 error, or nil)
}

func (e *CertificateError) Error() string {
	s := e.Sentinel.Error()
	if e.Subject != "" {
		s += " (subject " + strconv.Quote(e.Subject) + ")"
	}
	if e.Name != "" {
		s += " for " + strconv.Quote(e.Name)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *CertificateError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Sentinel}
	}
	return []error{e.Sentinel, e.Err}
}
