package dane_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/hubedge/hubedge/dane"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/miekg/dns"
)

// FuzzTLSA feeds arbitrary TLSA records in presentation format (as a zone
// or a resolver would give them) through Usable and Verify: no input may
// panic, and only a record made from the chain may match.
func FuzzTLSA(f *testing.F) {
	pki := smtptest.NewPKI(f)
	c := pki.ChainCertificate("mx1.fabrikam.com")
	chain := []*x509.Certificate{c.Leaf, pki.CACert()}
	for _, seed := range []string{
		"3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"2 0 2 00", "3 1 0 ff", "1 1 1 00", "255 255 255 ab", "3 1 1 ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rdata string) {
		rr, err := dns.NewRR("_25._tcp.mx1.fabrikam.com. 300 IN TLSA " + rdata)
		if err != nil || rr == nil {
			return
		}
		tlsa, ok := rr.(*dns.TLSA)
		if !ok {
			return
		}
		usable := dane.Usable([]*dns.TLSA{tlsa})
		m, err := dane.Verify(usable, chain, []string{"mx1.fabrikam.com"}, time.Now())
		if err == nil && m.Cert != chain[0] && m.Cert != chain[1] {
			t.Fatalf("matched a certificate outside the chain: %v", tlsa)
		}
	})
}
