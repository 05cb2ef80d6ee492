package smtpx

import (
	"strings"
	"testing"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestCanonicalRecipient(t *testing.T) {
	tests := []struct {
		in           string
		addr, domain string
		trick, ok    bool
	}{
		{"bob@contoso.com", "bob@contoso.com", "contoso.com", false, true},
		{"Bob@CONTOSO.com.", "Bob@contoso.com", "contoso.com", false, true},
		{"bob@bücher.example", "bob@xn--bcher-kva.example", "xn--bcher-kva.example", false, true},
		{"bob%fabrikam.com@contoso.com", "bob%fabrikam.com@contoso.com", "contoso.com", true, true},
		{"fabrikam.com!bob@contoso.com", "fabrikam.com!bob@contoso.com", "contoso.com", true, true},
		// wire.ParsePath unquotes "bob@fabrikam.com"@contoso.com to this.
		{"bob@fabrikam.com@contoso.com", `"bob@fabrikam.com"@contoso.com`, "contoso.com", true, true},
		{"john smith@contoso.com", `"john smith"@contoso.com`, "contoso.com", false, true},
		{`a"b@contoso.com`, `"a\"b"@contoso.com`, "contoso.com", false, true},
		{"bob@[192.0.2.1]", "", "", false, false},
		{"bob@", "", "", false, false},
		{"@contoso.com", "", "", false, false},
		{"bob", "", "", false, false},
		{"b\x00b@contoso.com", "", "", false, false},
		{strings.Repeat("a", 65) + "@contoso.com", "", "", false, false},
	}
	for _, tc := range tests {
		addr, domain, trick, ok := canonicalRecipient(tc.in)
		if addr != tc.addr || domain != tc.domain || trick != tc.trick || ok != tc.ok {
			t.Errorf("canonicalRecipient(%q) = %q, %q, %v, %v; want %q, %q, %v, %v",
				tc.in, addr, domain, trick, ok, tc.addr, tc.domain, tc.trick, tc.ok)
		}
	}
}

func FuzzCanonicalRecipient(f *testing.F) {
	for _, s := range []string{"bob@contoso.com", "a%b@c.com", "x!y@z.org", "a@b@c.com", "q r@s.t",
		"bob@[1.2.3.4]", "@x", "x@", "Ünï@bücher.example", `a"\b@c.d`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		addr, domain, trick, ok := canonicalRecipient(in)
		if !ok {
			return
		}
		if c, err := addrspace.CanonicalDomain(domain); err != nil || c != domain {
			t.Fatalf("domain %q of %q is not canonical", domain, in)
		}
		if !strings.HasSuffix(addr, "@"+domain) {
			t.Fatalf("addr %q does not end in @%s", addr, domain)
		}
		local := in[:strings.LastIndexByte(in, '@')]
		if trick != strings.ContainsAny(local, "%!@") {
			t.Fatalf("trick = %v for local part %q", trick, local)
		}
		// A dot-atom address is a fixed point.
		if wire.IsDotAtom(local) {
			if a2, d2, t2, ok2 := canonicalRecipient(addr); !ok2 || a2 != addr || d2 != domain || t2 != trick {
				t.Fatalf("not idempotent: %q -> %q -> %q", in, addr, a2)
			}
		}
		// The domain that counts is after the last '@' of the output too.
		if got := addr[strings.LastIndexByte(addr, '@')+1:]; got != domain {
			t.Fatalf("quoted address %q hides its domain (got %q)", addr, got)
		}
	})
}

func TestReceivedHelpers(t *testing.T) {
	if got := sanitizeHelo("evil.example)\r\n(by; x"); got != "evil.example????by??x" {
		t.Errorf("sanitizeHelo = %q", got)
	}
	for mech, want := range map[string]string{"PLAIN": "06", "LOGIN": "06", "ExchangeServer": "04", "ExternalAuthoritative": "03", "": ""} {
		if got := authMechanismCode(mech); got != want {
			t.Errorf("authMechanismCode(%q) = %q, want %q", mech, got, want)
		}
	}
	if got := receivedBy("from a.example (x [1.2.3.4])\r\n\tby Hub01.Contoso.com. with ESMTP; date"); got != "hub01.contoso.com" {
		t.Errorf("receivedBy = %q", got)
	}
	for h, want := range map[string]bool{"mail.example.com": true, "[192.0.2.1]": true, "[IPv6:2001:db8::1]": true,
		"localhost": false, "[bogus]": false, "-bad-.com": false} {
		if got := validHelo(h); got != want {
			t.Errorf("validHelo(%q) = %v", h, got)
		}
	}
}

func TestCanonicalSender(t *testing.T) {
	tests := []struct {
		in, domain string
		want       string
		ok         bool
	}{
		{"bob@Fabrikam.COM", "fabrikam.com", "bob@fabrikam.com", true},
		// wire.ParsePath unquotes "john smith"@fabrikam.com to this; the
		// envelope keeps the quotes, or the next hop would read
		// MAIL FROM:<john smith@fabrikam.com>.
		{"john smith@fabrikam.com", "fabrikam.com", `"john smith"@fabrikam.com`, true},
		{`a"b@fabrikam.com`, "fabrikam.com", `"a\"b"@fabrikam.com`, true},
		{"b\x00b@fabrikam.com", "fabrikam.com", "", false},
		{strings.Repeat("a", 65) + "@fabrikam.com", "fabrikam.com", "", false},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("d", 190), strings.Repeat("d", 190), "", false},
	}
	for _, tc := range tests {
		got, ok := canonicalSender(tc.in, tc.domain)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("canonicalSender(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
