package routing

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hubedge/hubedge/addrspace"
)

// ent builds an entry; mods adjust it.
func ent(conn, space string, mods ...func(*Entry)) Entry {
	e := Entry{Connector: conn, Space: addrspace.MustParse(space), Site: "SiteA", SourceServers: []string{"HUB1"}}
	for _, m := range mods {
		m(&e)
	}
	return e
}

func site(s string) func(*Entry)       { return func(e *Entry) { e.Site = s } }
func servers(s ...string) func(*Entry) { return func(e *Entry) { e.SourceServers = s } }
func disabled(e *Entry)                { e.Disabled = true }
func siteCosts(m map[string]int) func(from, to string) int {
	return func(from, to string) int { return m[from+">"+to] }
}

var hub1 = Origin{Server: "HUB1", Site: "SiteA"}

func TestLookupRules(t *testing.T) {
	tests := []struct {
		name     string
		entries  []Entry
		opts     []Option
		typ      string
		addr     string
		from     Origin
		want     string // connector; "" means ErrUnroutable
		wantCost int
	}{
		{name: "seed: subdomain goes to *.contoso.com, not *",
			entries: []Entry{ent("Internet", "*"), ent("Contoso", "*.Contoso.com")},
			addr:    "Recipient@marketing.contoso.com", want: "Contoso", wantCost: 1},
		{name: "*.contoso.com covers contoso.com itself",
			entries: []Entry{ent("Internet", "*"), ent("Contoso", "*.contoso.com")},
			addr:    "contoso.com", want: "Contoso"},
		{name: "exact beats *.same domain",
			entries: []Entry{ent("Wild", "*.contoso.com"), ent("Exact", "contoso.com;50")},
			addr:    "a@contoso.com", want: "Exact", wantCost: 50},
		{name: "exact does not cover subdomains",
			entries: []Entry{ent("Internet", "*"), ent("Exact", "contoso.com")},
			addr:    "a@marketing.contoso.com", want: "Internet"},
		{name: "longer suffix beats shorter despite cost",
			entries: []Entry{ent("Contoso", "*.contoso.com;1"), ent("Marketing", "*.marketing.contoso.com;90")},
			addr:    "a@eu.marketing.contoso.com", want: "Marketing", wantCost: 90},
		{name: "*.com beats *",
			entries: []Entry{ent("Internet", "*"), ent("Com", "*.com;9")},
			addr:    "a@fabrikam.com", want: "Com"},
		{name: "* is the last resort",
			entries: []Entry{ent("Contoso", "*.contoso.com"), ent("Internet", "*;7")},
			addr:    "a@fabrikam.com", want: "Internet", wantCost: 7},
		{name: "lowest cost among equally specific",
			entries: []Entry{ent("A", "*.contoso.com;5"), ent("B", "*.contoso.com;2")},
			addr:    "a@x.contoso.com", want: "B", wantCost: 2},
		{name: "site cost joins the aggregate",
			entries: []Entry{ent("Far", "*;1", site("SiteB")), ent("Near", "*;3", site("SiteA"))},
			opts:    []Option{WithSiteCost(siteCosts(map[string]int{"SiteA>SiteB": 10}))},
			addr:    "a@fabrikam.com", from: Origin{Server: "HUB9", Site: "SiteA"}, want: "Near", wantCost: 3},
		{name: "site cost can favour the remote site",
			entries: []Entry{ent("Far", "*;1", site("SiteB")), ent("Near", "*;3", site("SiteA"))},
			opts:    []Option{WithSiteCost(siteCosts(map[string]int{"SiteA>SiteB": 1}))},
			addr:    "a@fabrikam.com", from: Origin{Server: "HUB9", Site: "SiteA"}, want: "Far", wantCost: 2},
		{name: "tie on cost: the routing server as source server wins",
			entries: []Entry{ent("A", "*", servers("HUB2")), ent("Z", "*", servers("HUB2", "hub1"))},
			addr:    "a@fabrikam.com", from: hub1, want: "Z"},
		{name: "tie on cost: same site beats remote site",
			entries: []Entry{ent("A", "*", site("SiteB"), servers("HUB7")), ent("Z", "*", servers("HUB2"))},
			addr:    "a@fabrikam.com", from: hub1, want: "Z"},
		{name: "full tie: connector name",
			entries: []Entry{ent("Beta", "*.contoso.com;3"), ent("Alpha", "*.contoso.com;3")},
			addr:    "a@x.contoso.com", from: hub1, want: "Alpha", wantCost: 3},
		{name: "disabled never matches",
			entries: []Entry{ent("Internet", "*"), ent("Contoso", "*.contoso.com", disabled)},
			addr:    "a@contoso.com", want: "Internet"},
		{name: "Local scope of another site never matches",
			entries: []Entry{ent("Internet", "*"), ent("Scoped", "Local:*.contoso.com", site("SiteB"))},
			addr:    "a@contoso.com", from: hub1, want: "Internet"},
		{name: "Local scope of own site matches",
			entries: []Entry{ent("Internet", "*"), ent("Scoped", "Local:*.contoso.com;4")},
			addr:    "a@contoso.com", from: hub1, want: "Scoped", wantCost: 4},
		{name: "only unusable entries: unroutable",
			entries: []Entry{ent("Off", "*", disabled), ent("Scoped", "Local:*", site("SiteB"))},
			addr:    "a@contoso.com", from: hub1},
		{name: "no match: unroutable",
			entries: []Entry{ent("Contoso", "contoso.com")},
			addr:    "a@fabrikam.com"},
		{name: "empty table: unroutable", addr: "a@fabrikam.com"},
		{name: "canonicalises the domain",
			entries: []Entry{ent("Internet", "*"), ent("Books", "*.bücher.example")},
			addr:    "Anna@Shop.BÜCHER.example.", want: "Books"},
		{name: "type is case-insensitive",
			entries: []Entry{ent("Contoso", "contoso.com")},
			typ:     "smtp", addr: "contoso.com", want: "Contoso"},
		{name: "X400: every attribute must match",
			entries: []Entry{ent("Org", "X400:p=MyOrg;a=adatum;c=us;2"), ent("Site", "X400:o=MySite;p=MyOrg;a=adatum;c=us;5")},
			typ:     "x400", addr: "c=US;a=adatum;p=MyOrg;o=MySite;s=Smith", want: "Site", wantCost: 5},
		{name: "X400: fewer attributes when more do not match",
			entries: []Entry{ent("Org", "X400:p=MyOrg;a=adatum;c=us;2"), ent("Site", "X400:o=MySite;p=MyOrg;a=adatum;c=us;5")},
			typ:     "X400", addr: "c=US;a=adatum;p=MyOrg;o=Other;s=Smith", want: "Org", wantCost: 2},
		{name: "X400: * matches the whole type",
			entries: []Entry{ent("AnyX400", "X400:*;9"), ent("Internet", "*")},
			typ:     "X400", addr: "c=fr;a=x;p=y", want: "AnyX400", wantCost: 9},
		{name: "SMTP * does not match X400",
			entries: []Entry{ent("Internet", "*")},
			typ:     "X400", addr: "c=us;a=adatum"},
		{name: "foreign type: exact value beats *",
			entries: []Entry{ent("AllFax", "FAX:*"), ent("Office", "FAX:+1 425 555 0100;8")},
			typ:     "fax", addr: "+1 425 555 0100", want: "Office", wantCost: 8},
		{name: "foreign type: Local scope of another site",
			entries: []Entry{ent("AllFax", "Local:FAX:*", site("SiteB"))},
			typ:     "FAX", addr: "+1", from: hub1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := NewTable(tt.entries, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			r, err := tab.Lookup(tt.typ, tt.addr, tt.from)
			if tt.want == "" {
				if !errors.Is(err, ErrUnroutable) {
					t.Fatalf("Lookup = %+v, %v; want ErrUnroutable", r, err)
				}
				if c := tab.Explain(tt.typ, tt.addr, tt.from); len(c) > 0 && c[0].Selected {
					t.Fatalf("Explain selected %+v", c[0])
				}
				return
			}
			if err != nil || r.Connector != tt.want {
				t.Fatalf("Lookup = %+v, %v; want %s", r, err, tt.want)
			}
			if tt.wantCost != 0 && r.Cost != tt.wantCost {
				t.Fatalf("cost = %d, want %d", r.Cost, tt.wantCost)
			}
			if !r.Space.Match(tt.typ, tt.addr) {
				t.Fatalf("route space %s does not match %q", r.Space, tt.addr)
			}
			c := tab.Explain(tt.typ, tt.addr, tt.from)
			if len(c) == 0 || !c[0].Selected || c[0].Entry.Connector != r.Connector || c[0].Cost != r.Cost {
				t.Fatalf("Explain disagrees with Lookup: %+v", c)
			}
		})
	}
}

func TestLookupBadAddress(t *testing.T) {
	tab, err := NewTable([]Entry{ent("Internet", "*")})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"", "julia@", "a@b..c", "a@[192.0.2.1]", "a@-x.com"} {
		_, err := tab.Lookup("SMTP", addr, hub1)
		var pe *addrspace.ParseError
		if !errors.Is(err, ErrBadAddress) || !errors.As(err, &pe) {
			t.Errorf("Lookup(%q) error = %v, want ErrBadAddress wrapping *addrspace.ParseError", addr, err)
		}
		if c := tab.Explain("SMTP", addr, hub1); c != nil {
			t.Errorf("Explain(%q) = %v", addr, c)
		}
	}
	var nilTab *Table
	if _, err := nilTab.Lookup("", "a@b.c", hub1); !errors.Is(err, ErrUnroutable) {
		t.Errorf("nil table: %v", err)
	}
	if nilTab.Len() != 0 || nilTab.Entries() != nil || nilTab.Explain("", "b.c", hub1) != nil {
		t.Error("nil table accessors")
	}
}

func TestNewTableErrors(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"missing name", []Entry{ent("", "*")}, "missing connector name"},
		{"local without site", []Entry{ent("A", "Local:*", site(""))}, "needs a Site"},
		{"non-canonical space", []Entry{{Connector: "A", Space: addrspace.AddressSpace{Type: "SMTP", Value: "Contoso.com", Cost: 1}}}, "not canonical"},
		{"zero space", []Entry{{Connector: "A"}}, "empty address space"},
		{"duplicate", []Entry{ent("A", "contoso.com;1"), ent("A", "Local:contoso.com;3")}, "routing: duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTable(tt.entries)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "routing: ") {
				t.Fatalf("NewTable error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := NewTable([]Entry{ent("A", "contoso.com"), ent("A", "contoso.com;2")}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := NewTable([]Entry{ent("A", "contoso.com"), ent("B", "contoso.com"), ent("A", "*.contoso.com")}); err != nil {
		t.Fatalf("distinct entries rejected: %v", err)
	}
}

func TestTableIsImmutable(t *testing.T) {
	in := []Entry{ent("A", "*", servers("HUB1"))}
	tab, err := NewTable(in)
	if err != nil {
		t.Fatal(err)
	}
	in[0].Connector, in[0].SourceServers[0] = "changed", "changed"
	out := tab.Entries()
	out[0].SourceServers[0] = "changed too"
	r, _ := tab.Lookup("", "x.com", hub1)
	if r.Connector != "A" || tab.Entries()[0].SourceServers[0] != "HUB1" || tab.Len() != 1 {
		t.Fatalf("table changed: %+v %+v", r, tab.Entries())
	}
}

func TestExplain(t *testing.T) {
	tab, err := NewTable([]Entry{
		ent("Internet", "*"),
		ent("Contoso", "*.contoso.com;5"),
		ent("ContosoCheap", "*.contoso.com;2", servers("HUB2")),
		ent("ContosoTwin", "*.contoso.com;2", site("SiteB"), servers("HUB9")),
		ent("ContosoLocal", "*.contoso.com;2"),
		ent("ContosoAlias", "*.contoso.com;2"),
		ent("Off", "marketing.contoso.com", disabled),
		ent("Scoped", "Local:*.marketing.contoso.com", site("SiteB")),
		ent("Fabrikam", "fabrikam.com"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := tab.Explain("SMTP", "julia@marketing.contoso.com", hub1)
	want := []struct{ conn, reason string }{
		{"ContosoAlias", "selected: most specific match *.contoso.com, cost 2, the routing server is a source server"},
		{"ContosoLocal", `lost: equal cost and proximity; name "ContosoLocal" sorts after "ContosoAlias"`},
		{"ContosoCheap", "lost: equal cost; sourced in the routing server's site, winner the routing server is a source server"},
		{"ContosoTwin", "lost: equal cost; sourced in another site, winner the routing server is a source server"},
		{"Contoso", "lost: cost 5 is higher than 2"},
		{"Internet", "lost: * is less specific than *.contoso.com"},
		{"Off", "skipped: connector disabled"},
		{"Scoped", `skipped: Local scope, site "SiteB" is not the routing site "SiteA"`},
	}
	if len(got) != len(want) {
		t.Fatalf("Explain returned %d candidates: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Entry.Connector != w.conn || got[i].Reason != w.reason {
			t.Errorf("candidate %d = %s %q; want %s %q", i, got[i].Entry.Connector, got[i].Reason, w.conn, w.reason)
		}
		if got[i].Selected != (i == 0) || got[i].Usable != (i < 6) {
			t.Errorf("candidate %d flags: %+v", i, got[i])
		}
	}
}

func TestConcurrentLookups(t *testing.T) {
	tab, err := NewTable(benchEntries(1000))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				q := benchQueries[(g+i)%len(benchQueries)]
				if r, err := tab.Lookup("SMTP", q.addr, hub1); err != nil || r.Connector != q.want {
					t.Error(q.addr, r, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestProximityString(t *testing.T) {
	if SameSite.String() != "sourced in the routing server's site" || Proximity(9).String() != "Proximity(9)" {
		t.Fatal("Proximity.String")
	}
}
