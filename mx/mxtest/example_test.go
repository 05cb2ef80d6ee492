package mxtest_test

import (
	"fmt"

	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/miekg/dns"
)

func ExampleNewDNS() {
	tb := new(mxtest.Standalone)
	defer tb.Close()
	srv := mxtest.NewDNS(tb,
		mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"),
		mxtest.A("mx1.fabrikam.com", "127.0.0.1"),
		mxtest.NullMX("nomail.fabrikam.com"),
	)

	c := new(dns.Client)
	for _, name := range []string{"fabrikam.com.", "nomail.fabrikam.com.", "www.fabrikam.com."} {
		resp, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, dns.TypeMX), srv.Addr())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(name, " ", dns.RcodeToString[resp.Rcode])
		for _, rr := range resp.Answer {
			mx := rr.(*dns.MX)
			fmt.Print(" ", mx.Preference, " ", mx.Mx)
		}
		fmt.Println()
	}
	fmt.Println(srv.Queries()[0])
	// Output:
	// fabrikam.com. NOERROR 10 mx1.fabrikam.com.
	// nomail.fabrikam.com. NOERROR 0 .
	// www.fabrikam.com. NXDOMAIN
	// fabrikam.com. MX
}

// A resolver that trusts its server's AD bit can be tested without a
// validating resolver: ClaimAD sets it on every answer asked for it, but
// for the names said to be insecure.
func ExampleDNS_ClaimAD() {
	tb := new(mxtest.Standalone)
	defer tb.Close()
	srv := mxtest.NewDNS(tb, mxtest.Zone(
		"mx1.fabrikam.com. A 192.0.2.1",
		"mx1.unsigned.example. A 192.0.2.2",
	)...)
	srv.ClaimAD("mx1.unsigned.example")

	for _, name := range []string{"mx1.fabrikam.com.", "mx1.unsigned.example."} {
		q := new(dns.Msg).SetQuestion(name, dns.TypeA)
		q.AuthenticatedData = true
		resp, _, err := new(dns.Client).Exchange(q, srv.Addr())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(name, "AD", resp.AuthenticatedData)
	}
	// Output:
	// mx1.fabrikam.com. AD true
	// mx1.unsigned.example. AD false
}
