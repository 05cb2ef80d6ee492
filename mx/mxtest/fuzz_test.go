package mxtest

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzZone checks that any zone line yields a record or a reported
// error, never a panic, and that a record that parsed is served.
func FuzzZone(f *testing.F) {
	for _, s := range []string{"fabrikam.com. MX 10 mx1.fabrikam.com.", "a. 60 IN A 192.0.2.1", `t. TXT "x" "y"`, "; comment", "", "x. A 999.1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := Zone(line)[0]
		_ = r.String()
		if r.err != nil {
			return
		}
		d := NewDNS(t, r)
		q := new(dns.Msg).SetQuestion(r.name, r.rr.Header().Rrtype)
		if _, _, err := (&dns.Client{Net: "tcp"}).Exchange(q, d.Addr()); err != nil {
			t.Fatalf("%v: %v", r, err)
		}
	})
}
