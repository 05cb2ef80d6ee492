package mx_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
)

var daneZone = []string{
	"secure.example. MX 10 mx.secure.example.",
	"mx.secure.example. A 192.0.2.1",
	"_25._tcp.mx.secure.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"half.example. MX 10 mx.half.example.",
	"mx.half.example. A 192.0.2.2",
	"nomx.example. A 192.0.2.3",
}

func TestSecureFlags(t *testing.T) {
	f := mxtest.NewDNS(t, append(mxtest.Zone(daneZone...), mxtest.ServFail("_25._tcp.mx.half.example"))...)
	f.ClaimAD("mx.half.example")
	for _, tc := range []struct {
		name          string
		trust         bool
		domain        string
		wantSecure    bool
		tlsaHost      string
		wantTLSA      int
		wantTLSASec   bool
		wantTLSATempo bool
	}{
		{name: "trusted, all validated", trust: true, domain: "secure.example", wantSecure: true,
			tlsaHost: "mx.secure.example", wantTLSA: 1, wantTLSASec: true},
		{name: "AD not trusted", trust: false, domain: "secure.example", wantSecure: false,
			tlsaHost: "mx.secure.example", wantTLSA: 1, wantTLSASec: false},
		{name: "address record insecure", trust: true, domain: "half.example", wantSecure: false,
			tlsaHost: "mx.half.example", wantTLSATempo: true},
		{name: "implicit MX, no TLSA", trust: true, domain: "nomx.example", wantSecure: true,
			tlsaHost: "nomx.example", wantTLSA: 0, wantTLSASec: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := mx.New(mx.WithServers(f.Addr()), mx.WithTrustAD(tc.trust))
			if err != nil {
				t.Fatal(err)
			}
			hs, err := r.LookupMX(context.Background(), tc.domain)
			if err != nil || len(hs) != 1 || hs[0].Secure != tc.wantSecure {
				t.Fatalf("LookupMX = %+v, %v; want Secure %v", hs, err, tc.wantSecure)
			}
			res, err := r.LookupTLSA(context.Background(), tc.tlsaHost, 25)
			var te *mx.TemporaryError
			if tc.wantTLSATempo {
				if !errors.As(err, &te) {
					t.Fatalf("LookupTLSA err = %v, want *TemporaryError", err)
				}
				return
			}
			if err != nil || len(res.Records) != tc.wantTLSA || res.Secure != tc.wantTLSASec {
				t.Fatalf("LookupTLSA = %+v, %v", res, err)
			}
		})
	}
}

func TestTrustADNeedsLoopback(t *testing.T) {
	_, err := mx.New(mx.WithServers("192.0.2.53"), mx.WithTrustAD(true))
	if !errors.Is(err, mx.ErrUntrustedServer) {
		t.Fatalf("err = %v, want ErrUntrustedServer", err)
	}
	if _, err := mx.New(mx.WithServers("127.0.0.1:5353", "[::1]:53"), mx.WithTrustAD(true)); err != nil {
		t.Fatal(err)
	}
}

func TestLookupTXT(t *testing.T) {
	f := mxtest.NewDNS(t, mxtest.Zone(`_mta-sts.example.com. TXT "v=STSv1; " "id=20260101"`)...)
	r, err := mx.New(mx.WithServers(f.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	txt, err := r.LookupTXT(context.Background(), "_mta-sts.example.com")
	if err != nil || len(txt) != 1 || txt[0] != "v=STSv1; id=20260101" {
		t.Fatalf("LookupTXT = %q, %v", txt, err)
	}
	if txt, err := r.LookupTXT(context.Background(), "_mta-sts.nowhere.example"); err != nil || txt != nil {
		t.Fatalf("NXDOMAIN: %q, %v", txt, err)
	}
}

// An MX target that is an alias reports its CNAME-expanded name, whether
// the server chased the chain or not, and is Secure only when every link
// of the chain was validated.
func TestExpandedMXHost(t *testing.T) {
	zone := []string{
		"alias.example. MX 10 mx.alias.example.",
		"mx.alias.example. CNAME real.hosting.example.",
		"real.hosting.example. A 192.0.2.9",
		"plain.example. MX 10 mx.plain.example.",
		"mx.plain.example. A 192.0.2.10",
		"implicit.example. CNAME real.hosting.example.",
	}
	for _, tc := range []struct {
		name, domain, wantExpanded string
		noChase                    bool     // the server answers with the CNAME alone
		insecure                   []string // names answered without AD
		wantSecure                 bool
	}{
		{name: "chased alias", domain: "alias.example", wantExpanded: "real.hosting.example", wantSecure: true},
		{name: "alias not chased by the server", domain: "alias.example", noChase: true,
			wantExpanded: "real.hosting.example", wantSecure: true},
		{name: "insecure target", domain: "alias.example", noChase: true, insecure: []string{"real.hosting.example"},
			wantExpanded: "real.hosting.example"},
		{name: "no alias", domain: "plain.example", wantSecure: true},
		{name: "implicit MX through an alias", domain: "implicit.example", wantExpanded: "real.hosting.example", wantSecure: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mxtest.NewDNS(t, mxtest.Zone(zone...)...)
			f.ClaimAD(tc.insecure...)
			if tc.noChase {
				f.StopAtCNAME()
			}
			r, err := mx.New(mx.WithServers(f.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false))
			if err != nil {
				t.Fatal(err)
			}
			hs, err := r.LookupMX(context.Background(), tc.domain)
			if err != nil || len(hs) != 1 {
				t.Fatalf("LookupMX = %+v, %v", hs, err)
			}
			if hs[0].Expanded != tc.wantExpanded || hs[0].Secure != tc.wantSecure {
				t.Errorf("host %+v, want Expanded %q Secure %v", hs[0], tc.wantExpanded, tc.wantSecure)
			}
		})
	}
}
