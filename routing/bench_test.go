package routing

import (
	"fmt"
	"testing"

	"github.com/hubedge/hubedge/addrspace"
)

var (
	benchMids = []string{"corp", "mail", "eu.sales", "us.ops", "partners"}
	benchTLDs = []string{"com", "net", "org", "co.uk", "example"}
)

// benchEntries builds n entries of 3–5 label domains: two thirds exact,
// one third "*." wildcards, spread over many connectors, plus a "*"
// catch-all, so the table looks like a large organization's.
func benchEntries(n int) []Entry {
	es := make([]Entry, 0, n+1)
	es = append(es, Entry{Connector: "Internet", Space: addrspace.MustParse("*"), SourceServers: []string{"EDGE1"}})
	for i := range n {
		v := fmt.Sprintf("d%d.%s.%s", i, benchMids[i%len(benchMids)], benchTLDs[i/len(benchMids)%len(benchTLDs)])
		if i%3 == 0 {
			v = "*." + v
		}
		es = append(es, Entry{
			Connector:     fmt.Sprintf("conn%03d", i%500),
			Space:         addrspace.AddressSpace{Type: addrspace.SMTP, Value: v, Cost: 1 + i%10},
			SourceServers: []string{"HUB1", "HUB2"},
			Site:          "SiteA",
		})
	}
	return es
}

// benchQueries only name domains of the first 10 entries so that every
// table size answers the same questions: exact hits, wildcard hits below
// the wildcard, and misses that fall through to "*".
var benchQueries = []struct{ addr, want string }{
	{"julia@d1.mail.com", "conn001"},
	{"julia@d2.eu.sales.com", "conn002"},
	{"julia@d0.corp.com", "conn000"},
	{"julia@team.d3.us.ops.com", "conn003"},
	{"julia@a.b.d6.mail.net", "conn006"},
	{"julia@d7.eu.sales.net", "conn007"},
	{"julia@unknown.mail.com", "Internet"},
	{"julia@x.y.fabrikam.example", "Internet"},
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		tab, err := NewTable(benchEntries(n))
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range benchQueries {
			if r, err := tab.Lookup("SMTP", q.addr, hub1); err != nil || r.Connector != q.want {
				b.Fatalf("%d entries: Lookup(%s) = %v, %v; want %s", n, q.addr, r, err, q.want)
			}
		}
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := tab.Lookup("SMTP", benchQueries[i%len(benchQueries)].addr, hub1); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkAcceptedDomainsMatch(b *testing.B) {
	for _, n := range []int{10, 10000} {
		ds := []AcceptedDomain{{Domain: "contoso.com"}, {Domain: "*.fabrikam.com", Type: InternalRelay}}
		for i := range n {
			ds = append(ds, AcceptedDomain{Domain: fmt.Sprintf("d%d.example.com", i), Type: ExternalRelay})
		}
		set, err := NewAcceptedDomains(ds)
		if err != nil {
			b.Fatal(err)
		}
		queries := []string{"julia@contoso.com", "julia@eu.sales.fabrikam.com", "julia@d5.example.com", "julia@nowhere.example.net"}
		b.Run(fmt.Sprintf("domains=%d", len(ds)), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				set.Match(queries[i%len(queries)])
				i++
			}
		})
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tab, err := NewTable(benchEntries(1000))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewAcceptedDomains([]AcceptedDomain{{Domain: "contoso.com"}, {Domain: "*.fabrikam.com"}})
	if err != nil {
		t.Fatal(err)
	}
	small, err := NewTable([]Entry{{Connector: "C", Space: addrspace.MustParse("contoso.com")}})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, q := range benchQueries {
			if _, err := tab.Lookup("SMTP", q.addr, hub1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := small.Lookup("", "julia@nowhere.invalid", Origin{}); err != ErrUnroutable {
			t.Fatal("routed to nowhere")
		}
		set.Match("julia@a.fabrikam.com")
	})
	if allocs != 0 {
		t.Fatalf("allocations per run = %v, want 0", allocs)
	}
}
