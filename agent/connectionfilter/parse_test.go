package connectionfilter_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/hubedge/hubedge/agent/connectionfilter"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"192.0.2.1", "192.0.2.1"},
		{" 192.0.2.0/24 ", "192.0.2.0-192.0.2.255"},
		{"192.0.2.7/24", "192.0.2.0-192.0.2.255"},
		{"192.0.2.1-192.0.2.9", "192.0.2.1-192.0.2.9"},
		{"2001:db8::/126", "2001:db8::-2001:db8::3"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"192.0.2.9-192.0.2.1", ""},
		{"192.0.2.1-2001:db8::1", ""},
		{"192.0.2.0/33", ""},
		{"fe80::1%eth0", ""},
		{"contoso.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		e, err := connectionfilter.ParseRange(tt.in)
		if tt.want == "" {
			if !errors.Is(err, connectionfilter.ErrBadRange) {
				t.Errorf("ParseRange(%q) = %v, %v; want ErrBadRange", tt.in, e, err)
			}
			continue
		}
		if err != nil || e.String() != tt.want {
			t.Errorf("ParseRange(%q) = %v, %v; want %s", tt.in, e, err, tt.want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "192.0.2.0/24", "10.0.0.1-10.0.0.9", "2001:db8::/64", "a-b", "-", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := connectionfilter.ParseRange(s)
		if err != nil {
			return
		}
		back, err := connectionfilter.ParseRange(e.String())
		if err != nil || back != e {
			t.Fatalf("%q → %v → %v, %v", s, e, back, err)
		}
		if !e.Contains(e.First) || !e.Contains(e.Last) {
			t.Fatalf("%v does not contain its ends", e)
		}
	})
}

// FuzzMatch feeds arbitrary DNS messages, as a DNSBL might answer, to the
// three ways of matching: they must never panic and only 127/8 counts.
func FuzzMatch(f *testing.F) {
	name := connectionfilter.QueryName(netip.MustParseAddr("192.0.2.9"), "bl.test")
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	rr, _ := dns.NewRR(name + " 60 IN A 127.0.0.2")
	m.Answer = append(m.Answer, rr)
	packed, _ := m.Pack()
	f.Add(packed)
	f.Add([]byte{0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0})
	providers := []connectionfilter.Provider{
		{LookupDomain: "bl.test", AnyMatch: true},
		{LookupDomain: "bl.test", IPAddressesMatch: []netip.Addr{netip.MustParseAddr("127.0.0.2")}},
		{LookupDomain: "bl.test", BitmaskMatch: netip.MustParseAddr("127.0.0.6")},
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var msg dns.Msg
		if msg.Unpack(b) != nil {
			return
		}
		for _, p := range providers {
			if ip, ok := p.Match(name, msg.Answer); ok && (!ip.Is4() || ip.As4()[0] != 127) {
				t.Fatalf("matched %v", ip)
			}
		}
	})
}

func TestQueryName(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.9":        "9.2.0.192.bl.test.",
		"::ffff:192.0.2.9": "9.2.0.192.bl.test.",
		"2001:db8::1":      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test.",
	} {
		if got := connectionfilter.QueryName(netip.MustParseAddr(ip), "bl.test"); got != want {
			t.Errorf("QueryName(%s) = %s, want %s", ip, got, want)
		}
	}
}
