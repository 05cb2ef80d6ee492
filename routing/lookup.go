package routing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
)

// Lookup returns the route for one recipient. addrType is the address type,
// compared case-insensitively; "" means SMTP. For SMTP, address may be a full
// address ("julia@marketing.contoso.com") or a bare domain; the domain is
// the text after the last '@', canonicalised with addrspace.RecipientDomain.
// A malformed domain is an error wrapping ErrBadAddress; no match is
// ErrUnroutable. See the package documentation for the ranking rules.
//
// SMTP lookups cost one map probe per label of the domain plus a scan of the
// few entries that share the winning key, and do not allocate when the
// domain is lower-case ASCII.
func (t *Table) Lookup(addrType, address string, from Origin) (Route, error) {
	if t == nil {
		return Route{}, ErrUnroutable
	}
	if addrType != "" && !strings.EqualFold(addrType, addrspace.SMTP) {
		return t.lookupOther(addrType, address, from)
	}
	d, err := addrspace.RecipientDomain(address)
	if err != nil {
		return Route{}, fmt.Errorf("%w %q: %w", ErrBadAddress, address, err)
	}
	if i := t.lookupSMTP(d, from); i >= 0 {
		return t.route(i, from), nil
	}
	return Route{}, ErrUnroutable
}

// lookupSMTP walks from the most to the least specific key and returns the
// best usable entry of the first level that has one, or -1.
func (t *Table) lookupSMTP(d string, from Origin) int32 {
	if n := t.smtp[d]; n != nil {
		if i := t.best(n.exact, from); i >= 0 {
			return i
		}
		if i := t.best(n.wild, from); i >= 0 {
			return i
		}
	}
	for s := d; ; {
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			break
		}
		s = s[dot+1:]
		if n := t.smtp[s]; n != nil {
			if i := t.best(n.wild, from); i >= 0 {
				return i
			}
		}
	}
	return t.best(t.any, from)
}

// lookupOther scans the entries of one non-SMTP type. Such entries are few
// (gateways to fax or X.400 systems), so a scan is simpler than an index.
func (t *Table) lookupOther(addrType, address string, from Origin) (Route, error) {
	best := int32(-1)
	for _, i := range t.other[strings.ToUpper(addrType)] {
		if t.usable(i, from) && t.entries[i].Space.Match(addrType, address) &&
			(best < 0 || t.better(i, best, from)) {
			best = i
		}
	}
	if best < 0 {
		return Route{}, ErrUnroutable
	}
	return t.route(best, from), nil
}

// best returns the highest-ranked usable entry of idx, or -1.
func (t *Table) best(idx []int32, from Origin) int32 {
	best := int32(-1)
	for _, i := range idx {
		if t.usable(i, from) && (best < 0 || t.better(i, best, from)) {
			best = i
		}
	}
	return best
}

// usable: enabled, and in scope for a server of from.Site.
func (t *Table) usable(i int32, from Origin) bool {
	e := &t.entries[i]
	return !e.Disabled && (e.Space.Scope != addrspace.Local || e.Site == from.Site)
}

// better reports whether entry i outranks entry j for from.
func (t *Table) better(i, j int32, from Origin) bool {
	if si, sj := t.spec[i], t.spec[j]; si != sj {
		return si > sj
	}
	if ci, cj := t.cost(i, from), t.cost(j, from); ci != cj {
		return ci < cj
	}
	if pi, pj := t.proximity(i, from), t.proximity(j, from); pi != pj {
		return pi < pj
	}
	return t.entries[i].Connector < t.entries[j].Connector
}

// cost is the aggregate cost: address-space cost plus site cost.
func (t *Table) cost(i int32, from Origin) int {
	e := &t.entries[i]
	c := e.Space.Cost
	if t.siteCost != nil {
		c += t.siteCost(from.Site, e.Site)
	}
	return c
}

// Proximity ranks a connector's source servers by distance from the routing
// server; lower wins.
type Proximity uint8

const (
	LocalServer Proximity = iota // the routing server is a source server
	SameSite                     // sourced in the routing server's site
	RemoteSite                   // sourced elsewhere
)

var proximityText = [...]string{
	LocalServer: "the routing server is a source server",
	SameSite:    "sourced in the routing server's site",
	RemoteSite:  "sourced in another site",
}

// String describes p in words, as Explain's reasons do.
func (p Proximity) String() string {
	if int(p) < len(proximityText) {
		return proximityText[p]
	}
	return "Proximity(" + strconv.Itoa(int(p)) + ")"
}

func (t *Table) proximity(i int32, from Origin) Proximity {
	e := &t.entries[i]
	if from.Server != "" {
		for _, s := range e.SourceServers {
			if SameServer(s, from.Server) {
				return LocalServer
			}
		}
	}
	if from.Site != "" && e.Site == from.Site {
		return SameSite
	}
	return RemoteSite
}

func (t *Table) route(i int32, from Origin) Route {
	e := &t.entries[i]
	return Route{Connector: e.Connector, Space: e.Space, Cost: t.cost(i, from)}
}
