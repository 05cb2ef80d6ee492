package addrspace

import (
	"errors"
	"strconv"
	"strings"
)

// Scope says which transport servers may use a connector's address space.
type Scope uint8

const (
	// Organization scope (the zero value): every server may use it.
	Organization Scope = iota
	// Local scope: only servers in the connector's own site may use it.
	Local
)

// String returns "Organization" or "Local".
func (s Scope) String() string {
	switch s {
	case Organization:
		return "Organization"
	case Local:
		return "Local"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// Address-space types with special syntax. Any other upper-case token is a
// foreign type whose space is free text.
const (
	SMTP = "SMTP"
	X400 = "X400"
)

// Cost bounds and default.
const (
	MinCost     = 1
	MaxCost     = 100
	DefaultCost = 1
)

// AddressSpace is one parsed address space. It is a comparable value; build
// it with Parse (or check a hand-made one with Validate).
type AddressSpace struct {
	Scope Scope
	Type  string // canonical upper-case: "SMTP", "X400", or the foreign type upper-cased
	Value string // SMTP: "*", "contoso.com" or "*.contoso.com" (lower-case, A-labels); others: as given
	Cost  int    // 1..100
}

// String returns the canonical form, always with type and cost, as the
// reference system displays address spaces: "SMTP:*;1",
// "Local:SMTP:*.contoso.com;3", "X400:o=MySite;p=MyOrg;a=adatum;c=us;5".
// The zero AddressSpace prints as "".
func (a AddressSpace) String() string {
	if a == (AddressSpace{}) {
		return ""
	}
	var b strings.Builder
	b.Grow(len(a.Type) + len(a.Value) + 12)
	if a.Scope == Local {
		b.WriteString("Local:")
	}
	b.WriteString(a.Type)
	b.WriteByte(':')
	b.WriteString(a.Value)
	b.WriteByte(';')
	b.WriteString(strconv.Itoa(a.Cost))
	return b.String()
}

// Validate reports whether a is exactly what Parse would produce for it,
// which catches hand-built values with an empty type, an upper-case domain
// or a cost out of range.
func (a AddressSpace) Validate() error {
	if a.Scope > Local {
		return errors.New("addrspace: invalid scope " + a.Scope.String())
	}
	p, err := Parse(a.String())
	if err != nil {
		return err
	}
	if p != a {
		return errors.New("addrspace: " + strconv.Quote(a.Value) + " is not canonical; use Parse (want " + p.String() + ")")
	}
	return nil
}

// IsSMTP reports whether a is an SMTP address space.
func (a AddressSpace) IsSMTP() bool { return a.Type == SMTP }

// MatchDomain reports whether the SMTP address space a covers domain:
// "*" covers every domain, "contoso.com" only contoso.com, and
// "*.contoso.com" contoso.com and all of its subdomains. The domain is
// canonicalised first (see CanonicalDomain); invalid domains and non-SMTP
// spaces never match. It does not allocate for lower-case ASCII domains.
func (a AddressSpace) MatchDomain(domain string) bool {
	if a.Type != SMTP {
		return false
	}
	d, _, msg, _ := canonDomain(domain)
	if msg != "" {
		return false
	}
	return matchCanonical(a.Value, d)
}

// matchCanonical matches a canonical SMTP space value against a canonical
// domain.
func matchCanonical(space, d string) bool {
	if space == "*" {
		return true
	}
	if !strings.HasPrefix(space, "*.") {
		return space == d
	}
	parent := space[2:]
	if len(d) == len(parent) {
		return d == parent
	}
	return len(d) > len(parent) && d[len(d)-len(parent)-1] == '.' && strings.HasSuffix(d, parent)
}

// Match reports whether a covers a recipient of the given address type.
// Types compare case-insensitively and "" means SMTP. For SMTP, address is
// "user@domain" or a bare domain, matched with MatchDomain on the part after
// the last '@'. A space of "*" covers every address of its type. X400 spaces
// match when every attribute of the space is present in the recipient's
// address with an equal value (case-insensitive; see MatchX400). Other types
// match the whole address case-insensitively.
func (a AddressSpace) Match(addrType, address string) bool {
	if addrType == "" {
		addrType = SMTP
	}
	if !strings.EqualFold(a.Type, addrType) {
		return false
	}
	switch {
	case a.Type == SMTP:
		d, err := RecipientDomain(address)
		return err == nil && matchCanonical(a.Value, d)
	case address == "":
		return false
	case a.Value == "*":
		return true
	case a.Type == X400:
		return MatchX400(a.Value, address)
	}
	return strings.EqualFold(a.Value, address)
}

// MarshalText implements encoding.TextMarshaler using String. The zero value
// marshals to empty text; an invalid value is an error.
func (a AddressSpace) MarshalText() ([]byte, error) {
	if a == (AddressSpace{}) {
		return []byte{}, nil
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler using Parse. Empty text
// gives the zero AddressSpace.
func (a *AddressSpace) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*a = AddressSpace{}
		return nil
	}
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// FormatList prints spaces as a comma-separated list of quoted canonical
// items, e.g. "SMTP:contoso.com;2","Local:SMTP:fabrikam.com;3", which
// ParseList reads back unchanged.
func FormatList(spaces []AddressSpace) string {
	var b strings.Builder
	for i, a := range spaces {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(a.String())
		b.WriteByte('"')
	}
	return b.String()
}
