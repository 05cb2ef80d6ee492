package addrspace

import (
	"strings"
	"testing"
)

var seeds = []string{
	"*", "contoso.com", "*.contoso.com", `"SMTP:contoso.com;1"`, `"contoso.com;1"`,
	`"SMTP:contoso.com"`, `"Local:fabrikam.com;3"`, `Local:SMTP:*.contoso.com;3`,
	`X400:o=MySite;p=MyOrg;a=adatum;c=us;5`, `"contoso.com;2","Local:fabrikam.com;3"`,
	`FourthCoffee.com,fabrikam.com`, "*contoso.com", "a.*.com", "*.*.com", "contoso..com",
	"-contoso.com", "contoso.com;0", "contoso.com;101", "contoso.com;x", "FAX:a;b", "",
	`"contoso.com`, "*.bücher.example", "ｃｏｎｔｏｓｏ.com", "FAX:a;b;3", "X400:*;2",
}

// FuzzParse checks that Parse never panics, that every accepted value is
// canonical (Parse(a.String()) == a, Validate passes) and that the same holds
// for lists via FormatList.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := Parse(s); err == nil {
			b, err := Parse(a.String())
			if err != nil || b != a {
				t.Fatalf("Parse(%q) = %#v; Parse(%q) = %#v, %v", s, a, a.String(), b, err)
			}
			if err := a.Validate(); err != nil {
				t.Fatalf("Validate(%#v): %v", a, err)
			}
			if a.Cost < MinCost || a.Cost > MaxCost || a.Type == "" || a.Value == "" {
				t.Fatalf("Parse(%q) = %#v out of range", s, a)
			}
			if a.Type == SMTP && a.Value != "*" && !a.MatchDomain(strings.TrimPrefix(a.Value, "*.")) {
				t.Fatalf("%#v does not match its own domain", a)
			}
		} else if _, ok := err.(*ParseError); !ok {
			t.Fatalf("Parse(%q) error %T is not *ParseError", s, err)
		}
		if l, err := ParseList(s); err == nil {
			m, err := ParseList(FormatList(l))
			if err != nil || len(m) != len(l) {
				t.Fatalf("ParseList round trip of %q: %v %v", s, m, err)
			}
			for i := range l {
				if l[i] != m[i] {
					t.Fatalf("ParseList round trip of %q: %v != %v", s, l[i], m[i])
				}
			}
		}
		if d, err := CanonicalDomain(s); err == nil {
			if e, err := CanonicalDomain(d); err != nil || e != d {
				t.Fatalf("CanonicalDomain not idempotent: %q -> %q -> %q, %v", s, d, e, err)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"contoso.com", "Local:SMTP:*.contoso.com;3", "X400:o=MySite;p=MyOrg;a=adatum;c=us;5", "*.bücher.example"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatchDomain(b *testing.B) {
	a := MustParse("*.contoso.com")
	b.ReportAllocs()
	for b.Loop() {
		if !a.MatchDomain("julia.marketing.contoso.com") {
			b.Fatal("no match")
		}
	}
}
