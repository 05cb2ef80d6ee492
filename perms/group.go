package perms

import "strings"

// Group is a set of permission groups, the PermissionGroups value of a
// receive connector. Each group expands to fixed principal→rights grants;
// the zero value NoGroups grants nothing.
type Group uint8

// Permission groups.
const (
	// AnonymousUsers grants anonymous sessions what an Internet-facing
	// connector needs.
	AnonymousUsers Group = 1 << iota
	// ExchangeUsers grants authenticated users submission and relay.
	ExchangeUsers
	// ExchangeServers grants the organization's transport servers and
	// externally secured servers.
	ExchangeServers
	// ExchangeLegacyServers grants legacy servers.
	ExchangeLegacyServers
	// Partners grants domain-secured partner servers.
	Partners
	// Custom grants nothing by itself; rights are added one by one.
	Custom

	groupEnd
)

// NoGroups is the empty set, printed and parsed as "None".
const NoGroups Group = 0

var groupNames = [...]string{
	"AnonymousUsers", "ExchangeUsers", "ExchangeServers",
	"ExchangeLegacyServers", "Partners", "Custom",
}

const (
	_ uint = uint(groupEnd) - 1<<len(groupNames)
	_ uint = 1<<len(groupNames) - uint(groupEnd)
)

// Grant is one principal's rights.
type Grant struct {
	Principal Principal
	Rights    Right
}

// serverRights is what the ExchangeServers group grants the organization's
// own transport servers: every receive right (the internal
// Exchange-to-Exchange verbs are not modelled).
const serverRights = ReceiveRights

// securedRights is the ExchangeServers row for Externally Secured Servers
// and the ExchangeLegacyServers row: no organization or forest headers.
const securedRights = ReceiveRights &^ (AcceptOrganizationHeaders | AcceptForestHeaders)

// groupGrants is the reference system's permission-group table (as the
// 2010 and later releases document it), indexed by bit.
var groupGrants = [...][]Grant{
	{{Anonymous, Submit | AcceptAnySender | AcceptAuthoritativeDomainSender | AcceptRoutingHeaders}},
	{{AuthenticatedUsers, Submit | AcceptAnyRecipient | BypassAntiSpam | AcceptRoutingHeaders}},
	{
		{ExchangeServersGroup, serverRights},
		{EdgeTransportServers, serverRights},
		{HubTransportServers, serverRights},
		{ExternallySecuredServers, securedRights},
	},
	{{LegacyExchangeServers, securedRights}},
	{{PartnerServers, Submit | AcceptRoutingHeaders}},
	nil, // Custom
}

// Grants returns the grants of every group in g, in group order and, within
// a group, in the reference system's documented order. The slice is freshly allocated.
func (g Group) Grants() []Grant {
	var out []Grant
	for i, gs := range groupGrants {
		if g&(1<<i) != 0 {
			out = append(out, gs...)
		}
	}
	return out
}

// Has reports whether g holds every group in want.
func (g Group) Has(want Group) bool { return g&want == want }

// String returns the comma-separated group names in bit order
// ("AnonymousUsers, ExchangeUsers"), or "None" for the empty set.
func (g Group) String() string {
	if g == NoGroups {
		return "None"
	}
	var b strings.Builder
	for i, name := range groupNames {
		if g&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
	}
	if unknown := g &^ (groupEnd - 1); unknown != 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString("Group(0x" + uitoa16(uint32(unknown)) + ")")
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (g Group) MarshalText() ([]byte, error) {
	if unknown := g &^ (groupEnd - 1); unknown != 0 {
		return nil, &UnknownGroupError{Name: "Group(0x" + uitoa16(uint32(unknown)) + ")"}
	}
	return []byte(g.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseGroups.
func (g *Group) UnmarshalText(text []byte) error {
	v, err := ParseGroups(string(text))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// ParseGroups parses a comma-separated PermissionGroups value,
// case-insensitively: "AnonymousUsers, ExchangeServers", "none". Items may
// be double-quoted; empty items and "None" add nothing. An unknown name is
// an *UnknownGroupError.
func ParseGroups(s string) (Group, error) {
	var set Group
	for item := range strings.SplitSeq(s, ",") {
		item = strings.Trim(strings.TrimSpace(item), `"`)
		if item == "" || strings.EqualFold(item, "None") {
			continue
		}
		g, ok := parseGroup(item)
		if !ok {
			return 0, &UnknownGroupError{Name: item}
		}
		set |= g
	}
	return set, nil
}

func parseGroup(name string) (Group, bool) {
	for i, n := range groupNames {
		if strings.EqualFold(name, n) {
			return 1 << i, true
		}
	}
	return 0, false
}
