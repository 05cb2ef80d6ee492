package routing_test

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/routing"
)

func ExampleTable_Lookup() {
	table, err := routing.NewTable([]routing.Entry{
		{Connector: "Internet", Space: addrspace.MustParse("*"), SourceServers: []string{"EDGE1"}},
		{Connector: "To Contoso", Space: addrspace.MustParse("*.Contoso.com"), SourceServers: []string{"HUB1"}},
		{Connector: "Fabrikam partner", Space: addrspace.MustParse(`"fabrikam.com;5"`), SourceServers: []string{"HUB1"}},
	})
	if err != nil {
		panic(err)
	}
	from := routing.Origin{Server: "HUB1", Site: "Redmond"}
	for _, rcpt := range []string{"Recipient@marketing.contoso.com", "kim@fabrikam.com", "lee@sub.fabrikam.com"} {
		r, err := table.Lookup("SMTP", rcpt, from)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s -> %s (%s, cost %d)\n", rcpt, r.Connector, r.Space, r.Cost)
	}
	_, err = table.Lookup("X400", "c=us;a=adatum;p=MyOrg", from)
	fmt.Println(errors.Is(err, routing.ErrUnroutable))
	// Output:
	// Recipient@marketing.contoso.com -> To Contoso (SMTP:*.contoso.com;1, cost 1)
	// kim@fabrikam.com -> Fabrikam partner (SMTP:fabrikam.com;5, cost 5)
	// lee@sub.fabrikam.com -> Internet (SMTP:*;1, cost 1)
	// true
}

func ExampleTable_Explain() {
	table, err := routing.NewTable([]routing.Entry{
		{Connector: "Internet", Space: addrspace.MustParse("*")},
		{Connector: "Contoso A", Space: addrspace.MustParse("*.contoso.com;2")},
		{Connector: "Contoso B", Space: addrspace.MustParse("*.contoso.com;1")},
		{Connector: "Branch", Space: addrspace.MustParse("Local:*.contoso.com"), Site: "Paris"},
	})
	if err != nil {
		panic(err)
	}
	for _, c := range table.Explain("SMTP", "julia@contoso.com", routing.Origin{Server: "HUB1", Site: "Redmond"}) {
		fmt.Printf("%-9s %s\n", c.Entry.Connector, c.Reason)
	}
	// Output:
	// Contoso B selected: most specific match *.contoso.com, cost 1, sourced in another site
	// Contoso A lost: cost 2 is higher than 1
	// Internet  lost: * is less specific than *.contoso.com
	// Branch    skipped: Local scope, site "Paris" is not the routing site "Redmond"
}

func ExampleWithSiteCost() {
	links := map[[2]string]int{{"Redmond", "Dublin"}: 10}
	table, err := routing.NewTable([]routing.Entry{
		{Connector: "Dublin Internet", Space: addrspace.MustParse("*;1"), Site: "Dublin"},
		{Connector: "Redmond Internet", Space: addrspace.MustParse("*;5"), Site: "Redmond"},
	}, routing.WithSiteCost(func(from, to string) int { return links[[2]string{from, to}] }))
	if err != nil {
		panic(err)
	}
	r, _ := table.Lookup("SMTP", "someone@example.net", routing.Origin{Server: "HUB1", Site: "Redmond"})
	fmt.Println(r.Connector, r.Cost)
	r, _ = table.Lookup("SMTP", "someone@example.net", routing.Origin{Server: "HUB7", Site: "Dublin"})
	fmt.Println(r.Connector, r.Cost)
	// Output:
	// Redmond Internet 5
	// Dublin Internet 1
}

// A Table is immutable; swap a rebuilt one in atomically while lookups run.
func ExampleNewTable_swap() {
	var current atomic.Pointer[routing.Table]
	build := func(spaces string) {
		list, err := addrspace.ParseList(spaces)
		if err != nil {
			panic(err)
		}
		var entries []routing.Entry
		for _, sp := range list {
			entries = append(entries, routing.Entry{Connector: "Outbound", Space: sp})
		}
		t, err := routing.NewTable(entries)
		if err != nil {
			panic(err)
		}
		current.Store(t)
	}
	build("contoso.com")
	_, err := current.Load().Lookup("", "fabrikam.com", routing.Origin{})
	fmt.Println(err)
	build("contoso.com,fabrikam.com")
	r, _ := current.Load().Lookup("", "fabrikam.com", routing.Origin{})
	fmt.Println(r.Connector)
	// Output:
	// routing: unroutable
	// Outbound
}

func ExampleAcceptedDomains_Match() {
	domains, err := routing.NewAcceptedDomains([]routing.AcceptedDomain{
		{Domain: "contoso.com", Type: routing.Authoritative},
		{Domain: "*.contoso.com", Type: routing.InternalRelay},
		{Domain: "fabrikam.com", Type: routing.ExternalRelay},
	})
	if err != nil {
		panic(err)
	}
	for _, rcpt := range []string{"kim@contoso.com", "kim@eu.Contoso.com", "kim@fabrikam.com", "kim@example.net"} {
		d, ok := domains.Match(rcpt)
		fmt.Println(rcpt, d.Domain, d.Type, ok)
	}
	def, _ := domains.Default()
	fmt.Println("postmaster@" + def.Domain)
	// Output:
	// kim@contoso.com contoso.com Authoritative true
	// kim@eu.Contoso.com *.contoso.com InternalRelay true
	// kim@fabrikam.com fabrikam.com ExternalRelay true
	// kim@example.net  Authoritative false
	// postmaster@contoso.com
}
