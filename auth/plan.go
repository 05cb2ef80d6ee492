package auth

import (
	"strconv"
	"strings"
)

// Extensions is what the smart host's EHLO reply offered that matters here.
type Extensions struct {
	StartTLS bool     // STARTTLS keyword present
	Auth     []string // AUTH mechanisms, as offered (any case)
}

// SupportsAuth reports whether the server offered mech (case-insensitive).
func (e Extensions) SupportsAuth(mech string) bool {
	for _, m := range e.Auth {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// ClientState is what the sending side has achieved on a connection.
type ClientState struct {
	TLS           bool // STARTTLS completed
	Verified      bool // VerifyPeer passed for the checks the policy demands
	Authenticated bool // AUTH succeeded
}

// StepKind is the next action Plan asks for.
type StepKind uint8

const (
	// StepStartTLS: issue STARTTLS with ClientPolicy.TLSConfig, then EHLO
	// again and call Plan with the new extensions.
	StepStartTLS StepKind = iota + 1
	// StepVerify: call ClientPolicy.VerifyPeer; on success set Verified.
	StepVerify
	// StepAuth: AUTH with Step.Mechanism and the policy's Credentials.
	StepAuth
	// StepProceed: go on with MAIL FROM.
	StepProceed
)

var stepNames = [...]string{"", "STARTTLS", "VERIFY", "AUTH", "PROCEED"}

func (k StepKind) String() string {
	if int(k) < len(stepNames) && k != 0 {
		return stepNames[k]
	}
	return "StepKind(" + strconv.Itoa(int(k)) + ")"
}

// Step is one action of the client's TLS/AUTH negotiation.
type Step struct {
	Kind StepKind
	// VerifyName is the name the certificate must match for StepVerify:
	// the smart host FQDN (BasicAuthRequireTLS, ExchangeServer), TlsDomain,
	// or "" for the recipient domain / no name (CertificateValidation).
	VerifyName string
	// VerifyLevel is the strength of the check for StepVerify; a
	// smart-host FQDN check is reported as DomainValidation.
	VerifyLevel TLSAuthLevel
	// Mechanism is the SASL mechanism for StepAuth: PLAIN or LOGIN.
	Mechanism string
}

// Plan returns the next step toward a session the policy allows, given the
// smart host's EHLO extensions and what has been achieved so far. Call it
// after the first EHLO and again after each step until StepProceed.
//
// Rules:
//   - STARTTLS whenever offered and not ignored, before any credential;
//   - RequireTLS, BasicAuthRequireTLS and ExchangeServer demand STARTTLS
//     (ErrStartTLSRequired);
//   - certificate checks the policy demands come before any credential;
//   - BasicAuth without TLS only with AllowPlaintextAuth or to a loopback
//     host (ErrPlaintextAuth);
//   - PLAIN is preferred, then LOGIN (ErrNoCommonMechanism);
//   - None, ExternalAuthoritative and ExchangeServer send no AUTH.
//
// Runtime failures are *PolicyError (defer with 4.7.x); an invalid policy
// returns the Validate error.
func Plan(p ClientPolicy, smartHost string, ext Extensions, st ClientState) (Step, error) {
	if err := p.Validate(); err != nil {
		return Step{}, err
	}
	if !st.TLS {
		if ext.StartTLS && !p.IgnoreStartTLS {
			return Step{Kind: StepStartTLS}, nil
		}
		if p.requiresTLS() {
			return Step{}, &PolicyError{Step: StepStartTLS, Err: ErrStartTLSRequired}
		}
	}
	if st.TLS && p.needsVerify() && !st.Verified {
		return p.verifyStep(smartHost), nil
	}
	if st.Authenticated || !p.Auth.sendsCredentials() {
		return Step{Kind: StepProceed}, nil
	}
	if !st.TLS && !p.AllowPlaintextAuth && !isLoopback(smartHost) {
		return Step{}, &PolicyError{Step: StepAuth, Err: ErrPlaintextAuth}
	}
	for _, mech := range [...]string{MechPlain, MechLogin} {
		if ext.SupportsAuth(mech) {
			return Step{Kind: StepAuth, Mechanism: mech}, nil
		}
	}
	return Step{}, &PolicyError{Step: StepAuth, Err: ErrNoCommonMechanism}
}

func (p ClientPolicy) verifyStep(smartHost string) Step {
	if p.strict() {
		return Step{Kind: StepVerify, VerifyName: hostOnly(smartHost), VerifyLevel: DomainValidation}
	}
	s := Step{Kind: StepVerify, VerifyLevel: p.TLSAuthLevel}
	if p.TLSAuthLevel == DomainValidation {
		s.VerifyName = p.TLSDomain
	}
	return s
}
