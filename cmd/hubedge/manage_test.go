package main

import (
	"testing"

	"github.com/hubedge/hubedge/cmdlet"
)

// TestAcceptedDomainViews: the management views name an accepted domain as
// New-AcceptedDomain -Name did, and give its domain as DomainName.
func TestAcceptedDomainViews(t *testing.T) {
	src := "New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative\n"
	cfg, err := cmdlet.Load("domains.ps1", []byte(src), cmdlet.NewConfig(false), cmdlet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := views(cfg, "Hub01")
	if len(v.AcceptedDomains) != 1 {
		t.Fatalf("accepted domains %+v", v.AcceptedDomains)
	}
	if d := v.AcceptedDomains[0]; d.Name != "Contoso" || d.Domain != "contoso.com" {
		t.Errorf("accepted domain %+v; want Name Contoso, domain contoso.com", d)
	}
}
