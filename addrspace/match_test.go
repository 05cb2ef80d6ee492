package addrspace

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMatchDomain(t *testing.T) {
	tests := []struct {
		space, domain string
		want          bool
	}{
		{"*", "contoso.com", true},
		{"*", "a.b.c.d.example", true},
		{"*", "bad..domain", false},
		{"contoso.com", "contoso.com", true},
		{"contoso.com", "CONTOSO.com.", true},
		{"contoso.com", "marketing.contoso.com", false},
		{"contoso.com", "notcontoso.com", false},
		{"*.contoso.com", "contoso.com", true},
		{"*.contoso.com", "marketing.contoso.com", true},
		{"*.contoso.com", "a.b.marketing.contoso.com", true},
		{"*.contoso.com", "notcontoso.com", false},
		{"*.contoso.com", "contoso.com.au", false},
		{"*.com", "contoso.com", true},
		{"*.bücher.example", "shop.BÜCHER.example", true},
		{"X400:c=us", "contoso.com", false},
	}
	for _, tt := range tests {
		if got := MustParse(tt.space).MatchDomain(tt.domain); got != tt.want {
			t.Errorf("%s.MatchDomain(%q) = %v, want %v", tt.space, tt.domain, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	const x400 = "X400:o=MySite;p=MyOrg;a=adatum;c=us;5"
	tests := []struct {
		space, typ, addr string
		want             bool
	}{
		{"*.contoso.com", "smtp", "julia@marketing.contoso.com", true},
		{"*.contoso.com", "", "marketing.contoso.com", true},
		{"contoso.com", "SMTP", `"odd@local"@contoso.com`, true},
		{"contoso.com", "SMTP", "user@", false},
		{"contoso.com", "X400", "contoso.com", false},
		{x400, "x400", "c=US;a=adatum;p=MyOrg;o=MySite;s=Smith;g=Ann", true},
		{x400, "X400", "c=us; a=adatum ;p=myorg;o=mysite;", true},
		{x400, "X400", "c=us;a=adatum;p=MyOrg;o=Other;s=Smith", false},
		{x400, "X400", "c=us;a=adatum;p=MyOrg", false},
		{"X400:*;2", "X400", "c=us", true},
		{"X400:*;2", "X400", "", false},
		{"FAX:*;2", "fax", "+1 425 555 0100", true},
		{"FAX:+1 425 555 0100", "FAX", "+1 425 555 0100", true},
		{"FAX:+1 425 555 0100", "FAX", "+1 425 555 0101", false},
		{"FAX:*;2", "NOTES", "x", false},
	}
	for _, tt := range tests {
		if got := MustParse(tt.space).Match(tt.typ, tt.addr); got != tt.want {
			t.Errorf("%s.Match(%q, %q) = %v, want %v", tt.space, tt.typ, tt.addr, got, tt.want)
		}
	}
}

func TestCanonicalDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"contoso.com", "contoso.com"},
		{"Contoso.COM.", "contoso.com"},
		{"ｃｏｎｔｏｓｏ.com", "contoso.com"},
		{"ｃｏｎｔｏｓｏ。ｃｏｍ。", "contoso.com"},
		{"Bücher.Example", "xn--bcher-kva.example"},
		{"münchen.de", "xn--mnchen-3ya.de"},
		{"a--b.example", "a--b.example"},
		{"1.2.3.4", "1.2.3.4"},
	}
	for _, tt := range tests {
		got, err := CanonicalDomain(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", ".", "..", "a..b", "*.contoso.com", "user@contoso.com", "[192.0.2.1]", "a b.com", strings.Repeat("a", 64)} {
		if got, err := CanonicalDomain(bad); err == nil {
			t.Errorf("CanonicalDomain(%q) = %q, want error", bad, got)
		}
	}
}

func TestRecipientDomain(t *testing.T) {
	for in, want := range map[string]string{
		"julia@Marketing.Contoso.com": "marketing.contoso.com",
		"contoso.com":                 "contoso.com",
		`"a@b"@contoso.com.`:          "contoso.com",
	} {
		got, err := RecipientDomain(in)
		if err != nil || got != want {
			t.Errorf("RecipientDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := RecipientDomain("julia@"); err == nil {
		t.Error("RecipientDomain(julia@) should fail")
	}
	_, err := RecipientDomain("julia@a..b")
	if pe, ok := err.(*ParseError); !ok || pe.Offset != 7 {
		t.Errorf("RecipientDomain offset: %#v", err)
	}
}

func TestCanonicalDomainNoAlloc(t *testing.T) {
	a := MustParse("*.contoso.com")
	n := testing.AllocsPerRun(100, func() {
		if _, err := RecipientDomain("julia@marketing.contoso.com."); err != nil {
			t.Fatal(err)
		}
		if !a.MatchDomain("a.contoso.com") {
			t.Fatal("no match")
		}
	})
	if n != 0 {
		t.Fatalf("allocations = %v, want 0", n)
	}
}

func TestValidate(t *testing.T) {
	bad := []AddressSpace{
		{Value: "contoso.com", Cost: 1},
		{Type: SMTP, Value: "Contoso.com", Cost: 1},
		{Type: SMTP, Value: "contoso.com"},
		{Type: SMTP, Value: "contoso.com", Cost: 101},
		{Type: "smtp", Value: "contoso.com", Cost: 1},
		{Scope: 7, Type: SMTP, Value: "contoso.com", Cost: 1},
	}
	for _, a := range bad {
		if err := a.Validate(); err == nil {
			t.Errorf("Validate(%#v) = nil, want error", a)
		}
		if _, err := a.MarshalText(); err == nil {
			t.Errorf("MarshalText(%#v) = nil error", a)
		}
	}
}

func TestText(t *testing.T) {
	type conf struct {
		Spaces []AddressSpace
		Empty  AddressSpace
	}
	in := conf{Spaces: []AddressSpace{MustParse("Local:*.contoso.com;3"), MustParse("X400:c=us;a=adatum;2")}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"Spaces":["Local:SMTP:*.contoso.com;3","X400:c=us;a=adatum;2"],"Empty":""}`
	if string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var out conf
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Spaces) != 2 || out.Spaces[0] != in.Spaces[0] || out.Spaces[1] != in.Spaces[1] || out.Empty != (AddressSpace{}) {
		t.Fatalf("round trip = %#v", out)
	}
	if err := json.Unmarshal([]byte(`{"Spaces":["*contoso.com"]}`), &out); err == nil {
		t.Fatal("bad space unmarshalled")
	}
}

func TestScopeString(t *testing.T) {
	if Organization.String() != "Organization" || Local.String() != "Local" || Scope(9).String() != "Scope(9)" {
		t.Fatal("Scope.String")
	}
}
