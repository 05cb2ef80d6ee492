package auth

import (
	"fmt"
	"math/bits"
	"strings"
)

// Mechanism is a receive connector's AuthMechanism: a set of flags.
// The zero value is None (no authentication; anonymous sessions only).
type Mechanism uint16

// Receive-side mechanisms, in the order the cmdlets print them.
const (
	None Mechanism = 0
	// TLS advertises STARTTLS (RFC 3207).
	TLS Mechanism = 1 << (iota - 1)
	// Integrated is NTLM/Kerberos; unsupported in hubedge.
	Integrated
	// BasicAuth advertises AUTH PLAIN LOGIN.
	BasicAuth
	// BasicAuthRequireTLS withholds AUTH until STARTTLS has completed.
	BasicAuthRequireTLS
	// ExchangeServer is server authentication; in hubedge, mutual TLS with
	// direct trust (see PeerVerifier).
	ExchangeServer
	// ExternalAuthoritative treats every session as Externally Secured
	// Servers: the network (IPsec, VPN) is trusted to authenticate.
	ExternalAuthoritative

	allMechanisms = TLS | Integrated | BasicAuth | BasicAuthRequireTLS | ExchangeServer | ExternalAuthoritative
)

// mechanismNames holds the administrators' spelling, in bit order.
var mechanismNames = [...]struct {
	m    Mechanism
	name string
}{
	{TLS, "Tls"},
	{Integrated, "Integrated"},
	{BasicAuth, "BasicAuth"},
	{BasicAuthRequireTLS, "BasicAuthRequireTLS"},
	{ExchangeServer, "ExchangeServer"},
	{ExternalAuthoritative, "ExternalAuthoritative"},
}

// ParseMechanisms parses a comma-separated AuthMechanism list such as
// "Tls, BasicAuth,BasicAuthRequireTLS". Names are case-insensitive and may
// be surrounded by spaces; duplicates are harmless. "None" must stand alone.
// Parsing checks spelling only; call Validate for the combination rules.
func ParseMechanisms(s string) (Mechanism, error) {
	if strings.TrimSpace(s) == "" {
		return 0, &ParseError{Input: s, Msg: "empty mechanism list", Err: ErrUnknownMechanism}
	}
	var set Mechanism
	sawNone := false
	items := strings.Split(s, ",")
	for _, item := range items {
		name := strings.TrimSpace(item)
		if strings.EqualFold(name, "None") {
			sawNone = true
			continue
		}
		m, ok := lookupMechanism(name)
		if !ok {
			return 0, &ParseError{Input: s, Msg: fmt.Sprintf("unknown mechanism %q (valid: None, %s)", name, allMechanisms), Err: ErrUnknownMechanism}
		}
		set |= m
	}
	if sawNone && (set != None || len(items) > 1) {
		return 0, &ParseError{Input: s, Msg: "None must be used alone", Err: ErrInvalidCombination}
	}
	return set, nil
}

func lookupMechanism(name string) (Mechanism, bool) {
	for _, n := range mechanismNames {
		if strings.EqualFold(name, n.name) {
			return n.m, true
		}
	}
	return 0, false
}

// Has reports whether every mechanism in m is in the set.
func (s Mechanism) Has(m Mechanism) bool { return s&m == m }

// String prints the set as the cmdlets do: "Tls, BasicAuth, ExchangeServer";
// the empty set is "None". Unknown bits print in hex so they are visible.
func (s Mechanism) String() string {
	if s == None {
		return "None"
	}
	var b strings.Builder
	for _, n := range mechanismNames {
		if s&n.m != 0 {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(n.name)
		}
	}
	if rest := s &^ allMechanisms; rest != 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "Mechanism(%#x)", uint16(rest))
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler; unknown bits are an error.
func (s Mechanism) MarshalText() ([]byte, error) {
	if s&^allMechanisms != 0 {
		return nil, &MechanismError{Set: s, Reason: "unknown mechanism bits", Err: ErrUnknownMechanism}
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; empty text is None.
func (s *Mechanism) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*s = None
		return nil
	}
	m, err := ParseMechanisms(string(text))
	if err != nil {
		return err
	}
	*s = m
	return nil
}

// Len reports how many mechanisms the set holds.
func (s Mechanism) Len() int { return bits.OnesCount16(uint16(s)) }

// Validate applies the reference system's rules and
// hubedge's decisions:
//   - BasicAuthRequireTLS requires BasicAuth and Tls;
//   - ExternalAuthoritative can only be combined with Tls;
//   - ExchangeServer requires Tls, because hubedge's server authentication
//     is a client certificate presented during STARTTLS;
//   - Integrated is refused with ErrUnsupported.
//
// The PermissionGroups rule (ExternalAuthoritative needs ExchangeServers)
// belongs to the connector package.
func (s Mechanism) Validate() error {
	fail := func(err error, reason string) error {
		return &MechanismError{Set: s, Reason: reason, Err: err}
	}
	switch {
	case s&^allMechanisms != 0:
		return fail(ErrUnknownMechanism, "unknown mechanism bits")
	case s.Has(Integrated):
		return fail(ErrUnsupported, "Integrated (NTLM/Kerberos) is not supported; use BasicAuth or ExchangeServer (mutual TLS)")
	case s.Has(BasicAuthRequireTLS) && !s.Has(BasicAuth):
		return fail(ErrInvalidCombination, "BasicAuthRequireTLS requires BasicAuth")
	case s.Has(BasicAuthRequireTLS) && !s.Has(TLS):
		return fail(ErrInvalidCombination, "BasicAuthRequireTLS requires Tls")
	case s.Has(ExternalAuthoritative) && s&^(ExternalAuthoritative|TLS) != 0:
		return fail(ErrInvalidCombination, "ExternalAuthoritative can only be combined with Tls")
	case s.Has(ExchangeServer) && !s.Has(TLS):
		return fail(ErrInvalidCombination, "ExchangeServer requires Tls (server authentication is mutual TLS)")
	}
	return nil
}
