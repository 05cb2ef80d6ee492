package connector

import (
	"errors"
	"net/netip"
	"testing"
)

func TestParseIPRange(t *testing.T) {
	tests := []struct {
		in, want, from, to string
	}{
		{"192.168.1.1", "192.168.1.1", "192.168.1.1", "192.168.1.1"},
		{" 192.168.1.1 ", "192.168.1.1", "192.168.1.1", "192.168.1.1"},
		{"192.168.1.1-192.168.1.254", "192.168.1.1-192.168.1.254", "192.168.1.1", "192.168.1.254"},
		{"0.0.0.0 - 255.255.255.255", "0.0.0.0-255.255.255.255", "0.0.0.0", "255.255.255.255"},
		{"192.168.1.1/24", "192.168.1.0/24", "192.168.1.0", "192.168.1.255"},
		{"10.0.0.0/8", "10.0.0.0/8", "10.0.0.0", "10.255.255.255"},
		{"0.0.0.0/0", "0.0.0.0/0", "0.0.0.0", "255.255.255.255"},
		{"2001:0DB8::CD3/60", "2001:db8::/60", "2001:db8::", "2001:db8:0:f:ffff:ffff:ffff:ffff"},
		{"fe80::1%11", "fe80::1%11", "fe80::1%11", "fe80::1%11"},
		{"fe80::1%eth-0", "fe80::1%eth-0", "fe80::1%eth-0", "fe80::1%eth-0"},
		{"2001:db8::1-2001:db8::ff", "2001:db8::1-2001:db8::ff", "2001:db8::1", "2001:db8::ff"},
		{"::/0", "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"1.2.3.4-1.2.3.4", "1.2.3.4-1.2.3.4", "1.2.3.4", "1.2.3.4"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseIPRange(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
			if r.From().String() != tt.from || r.To().String() != tt.to {
				t.Errorf("From-To = %s-%s, want %s-%s", r.From(), r.To(), tt.from, tt.to)
			}
			back, err := ParseIPRange(r.String())
			if err != nil || back != r {
				t.Errorf("round trip: %v %v, want %v", back, err, r)
			}
		})
	}
}

func TestParseIPRangeErrors(t *testing.T) {
	for _, in := range []string{
		"", " ", "192.168.1", "192.168.1.1-", "-192.168.1.1", "192.168.1.9-192.168.1.1",
		"192.168.1.1-2001:db8::1", "192.168.1.1/33", "::ffff:1.2.3.4", "::ffff:1.2.3.4/120",
		"fe80::1%1-fe80::2%1", "a-b", "1.2.3.4/", "1.2.3.4-1.2.3.5-1.2.3.6", "300.1.1.1",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseIPRange(in)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Input != in || pe.What != "IP range" {
				t.Errorf("ParseError = %+v", pe)
			}
		})
	}
}

func TestIPRangeRelations(t *testing.T) {
	all := AllIPv4
	net24 := MustParseIPRange("192.168.1.0/24")
	span := MustParseIPRange("192.168.1.0-192.168.1.255")
	one := MustParseIPRange("192.168.1.75")
	v6 := MustParseIPRange("2001:db8::/32")

	if !all.ContainsRange(net24) || !net24.ContainsRange(one) || one.ContainsRange(net24) {
		t.Error("ContainsRange")
	}
	if !net24.Equal(span) || net24 == span || net24.Equal(one) {
		t.Error("Equal compares addresses, == compares form too")
	}
	if one.CompareSize(net24) != -1 || net24.CompareSize(all) != -1 || all.CompareSize(net24) != 1 || net24.CompareSize(span) != 0 {
		t.Error("CompareSize")
	}
	if v6.CompareSize(AllIPv6) != -1 || AllIPv6.CompareSize(AllIPv6) != 0 {
		t.Error("CompareSize v6")
	}
	if !net24.Contains(netip.MustParseAddr("::ffff:192.168.1.9")) {
		t.Error("Contains unmaps")
	}
	if net24.Contains(netip.MustParseAddr("192.168.2.1")) || v6.Contains(netip.MustParseAddr("192.168.1.1")) {
		t.Error("Contains outside")
	}
	if !MustParseIPRange("fe80::1%11").Contains(netip.MustParseAddr("fe80::1%7")) {
		t.Error("zones are not used for matching")
	}
	if net24.Overlaps(MustParseIPRange("192.168.2.0/24")) || !net24.Overlaps(MustParseIPRange("192.168.1.255-192.168.2.1")) {
		t.Error("Overlaps")
	}
	if (IPRange{}).Contains(netip.MustParseAddr("1.1.1.1")) || (IPRange{}).IsValid() {
		t.Error("zero IPRange")
	}
}

func TestIPRangeText(t *testing.T) {
	var r IPRange
	if err := r.UnmarshalText([]byte("10.0.0.0/8")); err != nil || r.String() != "10.0.0.0/8" {
		t.Fatal(r, err)
	}
	b, _ := r.MarshalText()
	if string(b) != "10.0.0.0/8" {
		t.Fatal(string(b))
	}
	if err := r.UnmarshalText([]byte("nope")); err == nil {
		t.Fatal("want error")
	}
	rs, err := ParseIPRanges("192.168.5.10,192.168.5.20")
	if err != nil || len(rs) != 2 || rs[1].String() != "192.168.5.20" {
		t.Fatal(rs, err)
	}
	if _, err := ParseIPRanges("1.1.1.1,,2.2.2.2"); err == nil {
		t.Fatal("empty item accepted")
	}
	if _, err := IPRangeFromTo(netip.MustParseAddr("1.1.1.2"), netip.MustParseAddr("1.1.1.1")); err == nil {
		t.Fatal("reversed range accepted")
	}
}

func TestParseBinding(t *testing.T) {
	good := map[string]string{
		"0.0.0.0:25": "0.0.0.0:25", "[::]:25": "[::]:25", "10.1.1.1:25": "10.1.1.1:25",
		" [2001:db8::1]:587 ": "[2001:db8::1]:587", "127.0.0.1:0": "127.0.0.1:0",
	}
	for in, want := range good {
		b, err := ParseBinding(in)
		if err != nil || b.String() != want {
			t.Errorf("ParseBinding(%q) = %v, %v", in, b, err)
		}
	}
	for _, in := range []string{"", "10.1.1.1", ":25", "::1:25", "[fe80::1%1]:25", "[::ffff:1.2.3.4]:25", "host:25", "1.2.3.4:99999"} {
		var pe *ParseError
		if _, err := ParseBinding(in); !errors.As(err, &pe) {
			t.Errorf("ParseBinding(%q) err = %v", in, err)
		}
	}
}

func FuzzParseIPRange(f *testing.F) {
	for _, s := range []string{
		"192.168.1.1", "192.168.1.1-192.168.1.254", "192.168.1.1/24", "2001:0DB8::CD3/60",
		"fe80::1%11", "0.0.0.0-255.255.255.255", "::/0", "1.2.3.4 - 1.2.3.5", "::ffff:1.2.3.4",
		"fe80::1%a-b", "-", "/", "%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseIPRange(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if !r.IsValid() || r.To().Less(r.From()) && r.From().Zone() == "" {
			t.Fatalf("bad range %#v", r)
		}
		back, err := ParseIPRange(r.String())
		if err != nil || back != r {
			t.Fatalf("round trip %q -> %q: %v %v", s, r.String(), back, err)
		}
		if !r.Contains(r.From()) || !r.Contains(r.To()) || !r.ContainsRange(r) || !r.Equal(back) {
			t.Fatalf("range does not contain its ends: %v", r)
		}
	})
}
