package perms

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Principal names a security principal that rights are granted to: one of
// the well-known principals below, or a user or group returned by an
// authenticator ("CONTOSO\alice", "alice@contoso.com").
//
// Principals compare case-insensitively (Windows account names do): use
// Equal rather than ==, and Canonical to normalise spelling. The ACL does
// this itself.
type Principal string

// Well-known principals: the security principals the permission groups
// grant rights to.
const (
	// Anonymous is every session that has not authenticated.
	Anonymous Principal = `NT AUTHORITY\ANONYMOUS LOGON`
	// AuthenticatedUsers is every session that authenticated as a user.
	AuthenticatedUsers Principal = `NT AUTHORITY\Authenticated Users`
	// ExchangeServersGroup stands for the reference system's
	// `<Domain>\Exchange Servers` group. hubedge has no directory domain,
	// so the name is fixed without one.
	ExchangeServersGroup Principal = `Exchange Servers`
	// HubTransportServers is every hub transport server of the organization.
	HubTransportServers Principal = `MS Exchange\Hub Transport Servers`
	// EdgeTransportServers is every subscribed edge transport server.
	EdgeTransportServers Principal = `MS Exchange\Edge Transport Servers`
	// ExternallySecuredServers is the principal of sessions on an
	// ExternalAuthoritative connector (secured by means outside SMTP).
	ExternallySecuredServers Principal = `MS Exchange\Externally Secured Servers`
	// LegacyExchangeServers is the principal of legacy (pre-2007) servers.
	// The ExchangeLegacyServers group grants to it; it stands for the
	// reference system's `<Domain>\ExchangeLegacyInterop` group.
	LegacyExchangeServers Principal = `MS Exchange\Legacy Exchange Servers`
	// PartnerServers is the principal of domain-secured (mutual TLS)
	// partner sessions.
	PartnerServers Principal = `MS Exchange\Partner Servers`
)

// wellKnown lists the well-known principals in the order Grants sorts them.
var wellKnown = [...]Principal{
	Anonymous, AuthenticatedUsers, ExchangeServersGroup, HubTransportServers,
	EdgeTransportServers, ExternallySecuredServers, LegacyExchangeServers,
	PartnerServers,
}

// WellKnown returns the well-known principals.
func WellKnown() []Principal { return append([]Principal(nil), wellKnown[:]...) }

// Canonical returns p with surrounding white space removed and, when it
// names a well-known principal in any case, that principal's spelling.
// Other principals keep their spelling.
func (p Principal) Canonical() Principal {
	q := Principal(strings.TrimSpace(string(p)))
	for _, w := range wellKnown {
		if q.Equal(w) {
			return w
		}
	}
	return q
}

// Equal reports whether p and q name the same principal, ignoring case
// (simple Unicode lower-casing) and surrounding white space.
func (p Principal) Equal(q Principal) bool {
	var a, b [128]byte
	return string(appendKey(a[:0], p)) == string(appendKey(b[:0], q))
}

// String returns p unchanged.
func (p Principal) String() string { return string(p) }

// appendKey appends the comparison key of p (trimmed, lower-cased) to dst.
// With a stack buffer of enough capacity it does not allocate, which keeps
// ACL.Rights allocation-free.
func appendKey(dst []byte, p Principal) []byte {
	s := strings.TrimSpace(string(p))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, lowerASCII(c))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, c) // keep invalid bytes as they are
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		i += n
	}
	return dst
}
