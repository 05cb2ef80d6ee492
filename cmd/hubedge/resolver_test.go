package main

import (
	"context"
	"slices"
	"testing"

	"github.com/hubedge/hubedge/mx/mxtest"
)

// The Sender ID agent's resolver asks the -dns servers, not the system's:
// a name only the test's server knows resolves, whichever server of the
// list each attempt goes to.
func TestDNSResolver(t *testing.T) {
	if dnsResolver(nil) != nil {
		t.Error("no servers: want the system's resolver (nil)")
	}
	a := mxtest.NewDNS(t, mxtest.TXT("fabrikam.test", "v=spf1 ip4:192.0.2.1 -all"))
	b := mxtest.NewDNS(t, mxtest.TXT("fabrikam.test", "v=spf1 ip4:192.0.2.1 -all"))
	r := dnsResolver([]string{a.Addr(), b.Addr()})
	for range 3 {
		txt, err := r.LookupTXT(context.Background(), "fabrikam.test")
		if err != nil || !slices.Equal(txt, []string{"v=spf1 ip4:192.0.2.1 -all"}) {
			t.Fatalf("LookupTXT = %q, %v", txt, err)
		}
	}
	if len(a.Queries()) == 0 || len(b.Queries()) == 0 {
		t.Errorf("queries: %d at the first server, %d at the second; want both asked", len(a.Queries()), len(b.Queries()))
	}
}
