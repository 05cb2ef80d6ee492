package dane_test

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/hubedge/hubedge/dane"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/miekg/dns"
)

func record(t *testing.T, usage, selector, matching uint8, cert *x509.Certificate) *dns.TLSA {
	t.Helper()
	r := &dns.TLSA{Hdr: dns.RR_Header{Name: "_25._tcp.mx1.fabrikam.com.", Rrtype: dns.TypeTLSA, Class: dns.ClassINET}}
	if err := r.Sign(int(usage), int(selector), int(matching), cert); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerify(t *testing.T) {
	pki := smtptest.NewPKI(t)
	other := smtptest.NewPKI(t)
	good := pki.ChainCertificate("mx1.fabrikam.com")
	chain := []*x509.Certificate{good.Leaf, pki.CACert()}
	wrongName := pki.ChainCertificate("mx9.fabrikam.com")
	stranger := other.Certificate("mx1.fabrikam.com").Leaf
	now := time.Now()
	for _, tc := range []struct {
		name    string
		records []*dns.TLSA
		chain   []*x509.Certificate
		now     time.Time
		match   bool
	}{
		{"EE spki sha256", []*dns.TLSA{record(t, 3, 1, 1, good.Leaf)}, chain, now, true},
		{"EE cert sha512", []*dns.TLSA{record(t, 3, 0, 2, good.Leaf)}, chain, now, true},
		{"EE full cert", []*dns.TLSA{record(t, 3, 0, 0, good.Leaf)}, chain, now, true},
		{"EE ignores names and dates", []*dns.TLSA{record(t, 3, 1, 1, wrongName.Leaf)},
			[]*x509.Certificate{wrongName.Leaf}, now.Add(20 * 365 * 24 * time.Hour), true},
		{"EE other key", []*dns.TLSA{record(t, 3, 1, 1, stranger)}, chain, now, false},
		{"TA spki sha256", []*dns.TLSA{record(t, 2, 1, 1, pki.CACert())}, chain, now, true},
		{"TA cert sha256", []*dns.TLSA{record(t, 2, 0, 1, pki.CACert())}, chain, now, true},
		{"TA leaf names another host", []*dns.TLSA{record(t, 2, 1, 1, pki.CACert())},
			[]*x509.Certificate{wrongName.Leaf, pki.CACert()}, now, false},
		{"TA expired leaf", []*dns.TLSA{record(t, 2, 1, 1, pki.CACert())}, chain, now.Add(20 * 365 * 24 * time.Hour), false},
		{"TA anchor not sent", []*dns.TLSA{record(t, 2, 1, 1, pki.CACert())}, chain[:1], now, false},
		{"TA of another CA", []*dns.TLSA{record(t, 2, 1, 1, other.CACert())}, chain, now, false},
		{"second record matches", []*dns.TLSA{record(t, 3, 1, 1, stranger), record(t, 2, 1, 1, pki.CACert())}, chain, now, true},
		{"no chain", []*dns.TLSA{record(t, 3, 1, 1, good.Leaf)}, nil, now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := dane.Verify(dane.Usable(tc.records), tc.chain, []string{"mx1.fabrikam.com"}, tc.now)
			if tc.match {
				if err != nil || m.Record == nil {
					t.Fatalf("Verify = %+v, %v; want a match", m, err)
				}
				return
			}
			var me *dane.MismatchError
			if !errors.As(err, &me) || !errors.Is(err, dane.ErrNoMatch) || me.Host != "mx1.fabrikam.com" {
				t.Fatalf("Verify err = %v, want *MismatchError for mx1.fabrikam.com", err)
			}
		})
	}
}

func TestMismatchText(t *testing.T) {
	err := &dane.MismatchError{Host: "mx1.fabrikam.com"}
	if got, want := err.Error(), "DANE: no TLSA record matched the certificate of mx1.fabrikam.com"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

func TestUsable(t *testing.T) {
	leaf := smtptest.NewPKI(t).Certificate("mx1.fabrikam.com").Leaf
	rec := func(u, s, m uint8, data string) *dns.TLSA {
		return &dns.TLSA{Usage: u, Selector: s, MatchingType: m, Certificate: data}
	}
	ok := record(t, 3, 1, 1, leaf)
	for _, tc := range []struct {
		name string
		r    *dns.TLSA
		want bool
	}{
		{"DANE-EE", ok, true},
		{"PKIX-TA", rec(0, 1, 1, ok.Certificate), false},
		{"PKIX-EE", rec(1, 1, 1, ok.Certificate), false},
		{"unknown usage", rec(4, 1, 1, ok.Certificate), false},
		{"unknown selector", rec(3, 2, 1, ok.Certificate), false},
		{"unknown matching type", rec(3, 1, 3, ok.Certificate), false},
		{"short SHA-256", rec(3, 1, 1, "abcd"), false},
		{"SHA-256 length under SHA-512", rec(3, 1, 2, ok.Certificate), false},
		{"not hex", rec(3, 1, 0, "zz"), false},
		{"empty full", rec(3, 1, 0, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(dane.Usable([]*dns.TLSA{tc.r})) == 1; got != tc.want {
				t.Fatalf("usable = %v, want %v", got, tc.want)
			}
		})
	}
}
