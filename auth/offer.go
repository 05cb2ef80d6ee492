package auth

// SASL mechanism names offered and used by hubedge.
const (
	MechPlain = "PLAIN"
	MechLogin = "LOGIN"
)

// State is what the receive side knows about a session when it builds an
// EHLO reply or answers AUTH.
type State struct {
	TLS           bool // STARTTLS has completed (or the listener is implicit TLS)
	Authenticated bool // AUTH has succeeded
}

// Advertisement is what an EHLO reply advertises for one connection state.
type Advertisement struct {
	// StartTLS: advertise STARTTLS (Tls in the set, TLS not yet up).
	StartTLS bool
	// SASL lists the AUTH mechanisms to advertise, preferred first; empty
	// means no AUTH keyword.
	SASL []string
	// PlaintextAuth: SASL is offered on a connection without TLS (BasicAuth
	// without BasicAuthRequireTLS). go-smtp needs AllowInsecureAuth for it.
	PlaintextAuth bool
	// RequireTLSForAuth: BasicAuth is configured but withheld until
	// STARTTLS; an AUTH now gets 538 5.7.11.
	RequireTLSForAuth bool
	// RequestClientCert: ExchangeServer is in the set, so the TLS handshake
	// should request (not require) a client certificate for PeerVerifier.
	RequestClientCert bool
	// ExternallySecured: the session is Externally Secured Servers.
	ExternallySecured bool
}

// Offer returns the EHLO advertisement for set in state st:
// STARTTLS while Tls is configured and TLS is not up; AUTH PLAIN LOGIN with
// BasicAuth, except before TLS under BasicAuthRequireTLS and once the session
// is authenticated (RFC 4954 §4 forbids a second AUTH).
func Offer(set Mechanism, st State) Advertisement {
	a := Advertisement{
		StartTLS:          set.Has(TLS) && !st.TLS,
		RequestClientCert: set.Has(TLS | ExchangeServer),
		ExternallySecured: set.Has(ExternalAuthoritative),
	}
	if !set.Has(BasicAuth) || st.Authenticated {
		return a
	}
	if set.Has(BasicAuthRequireTLS) && !st.TLS {
		a.RequireTLSForAuth = true
		return a
	}
	a.SASL = []string{MechPlain, MechLogin}
	a.PlaintextAuth = !st.TLS
	return a
}

// CheckAuthAllowed says whether an AUTH command may proceed. It returns
// ErrAlreadyAuthenticated, ErrAuthNotOffered, ErrTLSRequired (538 5.7.11)
// or nil.
func CheckAuthAllowed(set Mechanism, st State) error {
	switch {
	case st.Authenticated:
		return ErrAlreadyAuthenticated
	case !set.Has(BasicAuth):
		return ErrAuthNotOffered
	case set.Has(BasicAuthRequireTLS) && !st.TLS:
		return ErrTLSRequired
	}
	return nil
}
