package mx_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/mx"
	"github.com/miekg/dns"
)

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{
		"example.com", "EXAMPLE.com.", "Bücher.example", "xn--bcher-kva.example", "_dmarc.example.com",
		"", ".", "a..b", "-a.example", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "a",
		"exa mple.com", "例え.テスト", "ﬁ.example", "a\x00b", "[192.0.2.1]", "192.0.2.1", "xn--a.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := mx.NormalizeName(in)
		if err != nil {
			if !errors.Is(err, mx.ErrInvalidName) {
				t.Fatalf("NormalizeName(%q) error %v does not wrap ErrInvalidName", in, err)
			}
			return
		}
		if got == "" || len(got) > 253 || strings.HasSuffix(got, ".") || got != strings.ToLower(got) {
			t.Fatalf("NormalizeName(%q) = %q: not canonical", in, got)
		}
		if _, ok := dns.IsDomainName(got); !ok {
			t.Fatalf("NormalizeName(%q) = %q: miekg/dns rejects it", in, got)
		}
		again, err := mx.NormalizeName(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeName not idempotent: %q -> %q -> %q, %v", in, got, again, err)
		}
	})
}

func FuzzParseServer(f *testing.F) {
	for _, s := range []string{
		"192.0.2.53", "127.0.0.1:5353", "2001:db8::53", "[2001:db8::53]:53", "fe80::1%eth0",
		"[fe80::1%eth0]:53", "::ffff:192.0.2.1", "dns.example.com", "1.2.3.4:0", "1.2.3.4:65536", "", "[::1]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := mx.ParseServer(in)
		if err != nil {
			if !errors.Is(err, mx.ErrInvalidName) {
				t.Fatalf("ParseServer(%q) error %v is not a ParseError", in, err)
			}
			return
		}
		ap, err := netip.ParseAddrPort(got)
		if err != nil || ap.Port() == 0 || ap.Addr().Is4In6() {
			t.Fatalf("ParseServer(%q) = %q: not a usable host:port (%v)", in, got, err)
		}
		if again, err := mx.ParseServer(got); err != nil || again != got {
			t.Fatalf("ParseServer not idempotent: %q -> %q -> %q, %v", in, got, again, err)
		}
	})
}

func FuzzParseAddressLiteral(f *testing.F) {
	for _, s := range []string{"[192.0.2.1]", "[IPv6:2001:db8::1]", "[ipv6:::1]", "[2001:db8::1]", "[IPv6:1.2.3.4]", "[]", "["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a, ok := mx.ParseAddressLiteral(in)
		if !ok {
			return
		}
		want := "[" + a.String() + "]"
		if a.Is6() {
			want = "[IPv6:" + a.String() + "]"
		}
		back, ok := mx.ParseAddressLiteral(want)
		if !ok || back != a || a.Zone() != "" {
			t.Fatalf("ParseAddressLiteral(%q) = %v does not round-trip via %q", in, a, want)
		}
	})
}
