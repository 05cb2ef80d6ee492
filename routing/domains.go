package routing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
)

// DomainType says how the organization treats mail for an accepted domain.
type DomainType uint8

const (
	// Authoritative (the zero value and the default): every recipient of
	// the domain exists in the organization; an unknown one is 5.1.1.
	Authoritative DomainType = iota
	// InternalRelay: look the recipient up inside first, otherwise relay it
	// through the best-matching send connector; mail is treated as internal.
	InternalRelay
	// ExternalRelay: no recipient exists inside; relay everything to an
	// external server.
	ExternalRelay
)

var domainTypeNames = [...]string{
	Authoritative: "Authoritative",
	InternalRelay: "InternalRelay",
	ExternalRelay: "ExternalRelay",
}

// String returns "Authoritative", "InternalRelay" or "ExternalRelay".
func (t DomainType) String() string {
	if int(t) < len(domainTypeNames) {
		return domainTypeNames[t]
	}
	return "DomainType(" + strconv.Itoa(int(t)) + ")"
}

// ParseDomainType parses a DomainType name, case-insensitively.
func ParseDomainType(s string) (DomainType, error) {
	for i, name := range domainTypeNames {
		if strings.EqualFold(s, name) {
			return DomainType(i), nil
		}
	}
	return 0, fmt.Errorf("routing: unknown accepted-domain type %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (t DomainType) MarshalText() ([]byte, error) {
	if int(t) >= len(domainTypeNames) {
		return nil, errors.New("routing: invalid " + t.String())
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *DomainType) UnmarshalText(b []byte) error {
	v, err := ParseDomainType(string(b))
	if err == nil {
		*t = v
	}
	return err
}

// AcceptedDomain is a domain the organization accepts mail for. Domain is
// "contoso.com" or "*.contoso.com"; the wildcard covers contoso.com and all
// of its subdomains, like the address space of the same spelling.
type AcceptedDomain struct {
	Domain string
	Type   DomainType
}

// IsWildcard reports whether d is a "*." domain.
func (d AcceptedDomain) IsWildcard() bool { return strings.HasPrefix(d.Domain, "*.") }

// AcceptedDomains is an immutable set of accepted domains, safe for
// concurrent use. A nil *AcceptedDomains accepts nothing.
type AcceptedDomains struct {
	list  []AcceptedDomain
	exact map[string]int // canonical domain -> index in list
	wild  map[string]int // parent of "*.parent" -> index in list
	def   int            // index of the default domain, -1 if none
}

// NewAcceptedDomains canonicalises and indexes domains (lower-case,
// A-labels, no trailing dot; "*" alone and embedded wildcards are errors,
// as is a domain listed twice, ErrDuplicate). The first Authoritative
// non-wildcard domain is the default domain.
func NewAcceptedDomains(domains []AcceptedDomain) (*AcceptedDomains, error) {
	s := &AcceptedDomains{
		list:  make([]AcceptedDomain, 0, len(domains)),
		exact: make(map[string]int),
		wild:  make(map[string]int),
		def:   -1,
	}
	for i, d := range domains {
		if int(d.Type) >= len(domainTypeNames) {
			return nil, fmt.Errorf("routing: accepted domain %d (%q): invalid %s", i, d.Domain, d.Type)
		}
		parent, wild := strings.CutPrefix(d.Domain, "*.")
		canon, err := addrspace.CanonicalDomain(parent)
		if err != nil {
			return nil, fmt.Errorf("routing: accepted domain %d (%q): %w", i, d.Domain, err)
		}
		m, name := s.exact, canon
		if wild {
			m, name = s.wild, "*."+canon
		}
		if _, dup := m[canon]; dup {
			return nil, fmt.Errorf("%w: accepted domain %q listed twice", ErrDuplicate, name)
		}
		m[canon] = len(s.list)
		if s.def < 0 && !wild && d.Type == Authoritative {
			s.def = len(s.list)
		}
		s.list = append(s.list, AcceptedDomain{Domain: name, Type: d.Type})
	}
	return s, nil
}

// Match returns the accepted domain that covers domain, which may also be
// a full address (the text after the last '@' is used). The most specific
// entry wins: an exact domain, then "*." of the domain itself, then "*." of
// ever shorter parents. It does not allocate for lower-case ASCII input.
func (s *AcceptedDomains) Match(domain string) (AcceptedDomain, bool) {
	if s == nil {
		return AcceptedDomain{}, false
	}
	d, err := addrspace.RecipientDomain(domain)
	if err != nil {
		return AcceptedDomain{}, false
	}
	if i, ok := s.exact[d]; ok {
		return s.list[i], true
	}
	for {
		if i, ok := s.wild[d]; ok {
			return s.list[i], true
		}
		dot := strings.IndexByte(d, '.')
		if dot < 0 {
			return AcceptedDomain{}, false
		}
		d = d[dot+1:]
	}
}

// Default returns the default domain, used for postmaster@ and other
// organization addresses: the first Authoritative non-wildcard domain given
// to NewAcceptedDomains. ok is false when there is none.
func (s *AcceptedDomains) Default() (d AcceptedDomain, ok bool) {
	if s == nil || s.def < 0 {
		return AcceptedDomain{}, false
	}
	return s.list[s.def], true
}

// Domains returns a copy of the canonical domains in their original order.
func (s *AcceptedDomains) Domains() []AcceptedDomain {
	if s == nil {
		return nil
	}
	return append([]AcceptedDomain(nil), s.list...)
}

// Len returns the number of accepted domains.
func (s *AcceptedDomains) Len() int {
	if s == nil {
		return 0
	}
	return len(s.list)
}
