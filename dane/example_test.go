package dane_test

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/hubedge/hubedge/dane"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/miekg/dns"
)

func ExampleVerify() {
	var t smtptest.Standalone
	defer t.Close()
	pki := smtptest.NewPKI(&t)
	cert := pki.ChainCertificate("mx1.fabrikam.com")
	// "_25._tcp.mx1.fabrikam.com. IN TLSA 2 1 1 <sha-256 of the CA's key>"
	ta := &dns.TLSA{}
	_ = ta.Sign(dane.UsageDANETA, dane.SelectorSPKI, dane.MatchSHA256, pki.CACert())
	records := dane.Usable([]*dns.TLSA{ta, {Usage: 1, Selector: 1, MatchingType: 1}}) // PKIX-EE is dropped
	chain := []*x509.Certificate{cert.Leaf, pki.CACert()}
	m, err := dane.Verify(records, chain, []string{"mx1.fabrikam.com"}, time.Now())
	fmt.Println(len(records), m.Record.Usage, err)
	_, err = dane.Verify(records, chain, []string{"mx2.fabrikam.com"}, time.Now())
	fmt.Println(err != nil)
	// Output:
	// 1 2 <nil>
	// true
}
