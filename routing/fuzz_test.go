package routing

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/addrspace"
)

// FuzzLookup builds a table from a list of address spaces (entry i is
// connector "c<i>"; every fifth is disabled, sites and source servers vary)
// and checks that Lookup never panics, that a returned route's space always
// matches the recipient, and that the result equals a brute-force scan of
// every entry ranked by matched length (the 2007 "matched characters"
// reading of specificity), cost, proximity and name.
func FuzzLookup(f *testing.F) {
	f.Add(`*,*.contoso.com,contoso.com;3`, "julia@marketing.contoso.com", "SMTP")
	f.Add(`"Local:*.contoso.com;2","contoso.com;2",*;5`, "contoso.com", "smtp")
	f.Add(`*.com,*.a.com;9,"Local:b.a.com;1",*.b.a.com`, "x@b.a.com", "")
	f.Add(`X400:o=MySite;p=MyOrg;a=adatum;c=us;5,X400:c=us;2,X400:*;9`, "c=us;a=adatum;p=MyOrg;o=MySite;s=x", "X400")
	f.Add(`FAX:*,FAX:123;4`, "123", "fax")
	f.Add(`*.bücher.example`, "a@shop.BÜCHER.example.", "SMTP")
	f.Add(`contoso.com`, "a@b@@contoso.com", "SMTP")
	f.Fuzz(func(t *testing.T, spaces, address, typ string) {
		list, err := addrspace.ParseList(spaces)
		if err != nil || len(list) > 64 {
			return
		}
		entries := make([]Entry, len(list))
		for i, sp := range list {
			entries[i] = Entry{
				Connector:     fmt.Sprintf("c%d", i%7),
				Space:         sp,
				SourceServers: []string{fmt.Sprintf("HUB%d", i%3)},
				Site:          []string{"SiteA", "SiteB"}[i%2],
				Disabled:      i%5 == 4,
			}
		}
		tab, err := NewTable(entries, WithSiteCost(func(from, to string) int {
			if from == to {
				return 0
			}
			return 2
		}))
		if errors.Is(err, ErrDuplicate) {
			return
		}
		if err != nil {
			t.Fatalf("NewTable: %v", err)
		}
		from := Origin{Server: "HUB1", Site: "SiteA"}
		r, err := tab.Lookup(typ, address, from)
		want := oracle(entries, typ, address, from)
		switch {
		case err == nil && !r.Space.Match(typ, address):
			t.Fatalf("route %+v does not match %q %q", r, typ, address)
		case err == nil && (want < 0 || r.Connector != entries[want].Connector || r.Space != entries[want].Space):
			t.Fatalf("Lookup = %+v, oracle = %d in %+v", r, want, entries)
		case err != nil && want >= 0:
			t.Fatalf("Lookup error %v, oracle found %+v", err, entries[want])
		case err != nil && !errors.Is(err, ErrUnroutable) && !errors.Is(err, ErrBadAddress):
			t.Fatalf("unexpected error %v", err)
		}
		c := tab.Explain(typ, address, from)
		if (err == nil) != (len(c) > 0 && c[0].Selected) || err == nil && c[0].Entry.Connector != r.Connector {
			t.Fatalf("Explain %+v disagrees with Lookup %+v, %v", c, r, err)
		}
	})
}

// oracle scans all entries the slow way and returns the index of the best.
func oracle(es []Entry, typ, address string, from Origin) int {
	best := -1
	for i, e := range es {
		if e.Disabled || e.Space.Scope == addrspace.Local && e.Site != from.Site || !e.Space.Match(typ, address) {
			continue
		}
		if best < 0 || oracleLess(es[i], es[best], from) {
			best = i
		}
	}
	return best
}

func oracleLess(a, b Entry, from Origin) bool {
	if sa, sb := oracleSpec(a.Space), oracleSpec(b.Space); sa != sb {
		return sa > sb
	}
	cost := func(e Entry) int {
		if e.Site == from.Site {
			return e.Space.Cost
		}
		return e.Space.Cost + 2
	}
	if ca, cb := cost(a), cost(b); ca != cb {
		return ca < cb
	}
	prox := func(e Entry) int {
		for _, s := range e.SourceServers {
			if strings.EqualFold(s, from.Server) {
				return 0
			}
		}
		if e.Site == from.Site {
			return 1
		}
		return 2
	}
	if pa, pb := prox(a), prox(b); pa != pb {
		return pa < pb
	}
	return a.Connector < b.Connector
}

// oracleSpec: for SMTP the matched length, an exact domain one more than the
// "*." of the same domain; otherwise the package's Specificity.
func oracleSpec(a addrspace.AddressSpace) int {
	if a.Type != addrspace.SMTP {
		return Specificity(a)
	}
	if a.Value == "*" {
		return 0
	}
	d, wild := strings.CutPrefix(a.Value, "*.")
	if wild {
		return 2 * len(d)
	}
	return 2*len(d) + 1
}
