package mxtest_test

import (
	"errors"
	"testing"

	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/miekg/dns"
)

func TestSignedZoneThroughUnbound(t *testing.T) {
	zone := mxtest.NewSignedZone(t, "secure.test",
		mxtest.MX("secure.test", 10, "mx1.secure.test"),
		mxtest.A("mx1.secure.test", "127.0.0.1"),
		mxtest.A("bad.secure.test", "127.0.0.2"),
		mxtest.TXT("_25._tcp.mx1.secure.test", "below an empty non-terminal"))
	zone.Bogus("bad.secure.test", dns.TypeA)
	srv := mxtest.NewDNS(t, zone.Records(t)...)
	srv.Add(mxtest.SOA("plain.test"), mxtest.A("mx1.plain.test", "127.0.0.3"))
	u, err := mxtest.StartUnbound(t, srv,
		mxtest.UnboundZone{Name: "secure.test", TrustAnchor: zone.TrustAnchor()},
		mxtest.UnboundZone{Name: "plain.test"})
	if errors.Is(err, mxtest.ErrUnboundMissing) {
		t.Skip("unbound is not installed (apt-get install unbound): no validating resolver to test against")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		qtype uint16
		rcode int
		ad    bool
	}{
		{"secure.test.", dns.TypeMX, dns.RcodeSuccess, true},
		{"mx1.secure.test.", dns.TypeA, dns.RcodeSuccess, true},
		{"mx1.secure.test.", dns.TypeAAAA, dns.RcodeSuccess, true}, // NODATA, proven by NSEC
		{"nothing.secure.test.", dns.TypeA, dns.RcodeNameError, true},
		// The denial also proves that no wildcard exists at the closest
		// encloser, the empty non-terminal _tcp.mx1.secure.test.
		{"_587._tcp.mx1.secure.test.", dns.TypeTLSA, dns.RcodeNameError, true},
		{"bad.secure.test.", dns.TypeA, dns.RcodeServerFailure, false},
		{"mx1.plain.test.", dns.TypeA, dns.RcodeSuccess, false},
	} {
		m := new(dns.Msg).SetQuestion(tc.name, tc.qtype)
		m.AuthenticatedData = true
		m.SetEdns0(1232, false)
		r, err := dns.Exchange(m, u.Addr())
		if err != nil {
			t.Fatalf("%s %s: %v", tc.name, dns.TypeToString[tc.qtype], err)
		}
		if r.Rcode != tc.rcode || r.AuthenticatedData != tc.ad {
			t.Errorf("%s %s: rcode %s AD %v, want %s AD %v\nunbound log:\n%v", tc.name, dns.TypeToString[tc.qtype],
				dns.RcodeToString[r.Rcode], r.AuthenticatedData, dns.RcodeToString[tc.rcode], tc.ad, u.Log())
		}
	}
}
