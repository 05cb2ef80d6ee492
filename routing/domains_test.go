package routing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestAcceptedDomainsMatch(t *testing.T) {
	set, err := NewAcceptedDomains([]AcceptedDomain{
		{Domain: "*.contoso.com", Type: InternalRelay},
		{Domain: "Contoso.com"}, // Authoritative, first non-wildcard: the default
		{Domain: "marketing.contoso.com", Type: ExternalRelay},
		{Domain: "*.eu.marketing.contoso.com", Type: InternalRelay},
		{Domain: "fabrikam.com", Type: ExternalRelay},
		{Domain: "*.bücher.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in     string
		domain string // "" means no match
		typ    DomainType
	}{
		{"contoso.com", "contoso.com", Authoritative},
		{"julia@CONTOSO.com.", "contoso.com", Authoritative},
		{"sales.contoso.com", "*.contoso.com", InternalRelay},
		{"marketing.contoso.com", "marketing.contoso.com", ExternalRelay},
		{"a.marketing.contoso.com", "*.contoso.com", InternalRelay},
		{"eu.marketing.contoso.com", "*.eu.marketing.contoso.com", InternalRelay},
		{"x.eu.marketing.contoso.com", "*.eu.marketing.contoso.com", InternalRelay},
		{"fabrikam.com", "fabrikam.com", ExternalRelay},
		{"sub.fabrikam.com", "", 0},
		{"contoso.com.au", "", 0},
		{"com", "", 0},
		{"shop.Bücher.example", "*.xn--bcher-kva.example", Authoritative},
		{"user@", "", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		got, ok := set.Match(tt.in)
		if ok != (tt.domain != "") || got.Domain != tt.domain || got.Type != tt.typ {
			t.Errorf("Match(%q) = %+v, %v; want %q %v", tt.in, got, ok, tt.domain, tt.typ)
		}
	}
	def, ok := set.Default()
	if !ok || def != (AcceptedDomain{Domain: "contoso.com", Type: Authoritative}) {
		t.Errorf("Default() = %+v, %v", def, ok)
	}
	if set.Len() != 6 || set.Domains()[1].Domain != "contoso.com" {
		t.Errorf("Domains() = %+v", set.Domains())
	}
}

func TestAcceptedDomainsErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []AcceptedDomain
		want string
	}{
		{"star alone", []AcceptedDomain{{Domain: "*"}}, "invalid character"},
		{"embedded wildcard", []AcceptedDomain{{Domain: "domain.*.contoso.com"}}, "invalid character"},
		{"double wildcard", []AcceptedDomain{{Domain: "*.*.contoso.com"}}, "invalid character"},
		{"empty", []AcceptedDomain{{Domain: ""}}, "empty domain"},
		{"too long", []AcceptedDomain{{Domain: strings.Repeat("abcdefg.", 40) + "com"}}, "longer than 255"},
		{"bad type", []AcceptedDomain{{Domain: "contoso.com", Type: 9}}, "DomainType(9)"},
		{"duplicate", []AcceptedDomain{{Domain: "contoso.com"}, {Domain: "CONTOSO.com."}}, "routing: duplicate"},
		{"duplicate wildcard", []AcceptedDomain{{Domain: "*.contoso.com"}, {Domain: "*.Contoso.com", Type: InternalRelay}}, `"*.contoso.com" listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewAcceptedDomains(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "routing: ") {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
	_, err := NewAcceptedDomains([]AcceptedDomain{{Domain: "a.com"}, {Domain: "a.com"}})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestAcceptedDomainsDefault(t *testing.T) {
	set, err := NewAcceptedDomains([]AcceptedDomain{{Domain: "*.contoso.com"}, {Domain: "relay.com", Type: InternalRelay}})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := set.Default(); ok {
		t.Fatalf("Default() = %+v without an authoritative domain", d)
	}
	var none *AcceptedDomains
	if _, ok := none.Match("contoso.com"); ok || none.Len() != 0 || none.Domains() != nil {
		t.Fatal("nil set should accept nothing")
	}
	if _, ok := none.Default(); ok {
		t.Fatal("nil set has a default")
	}
	empty, err := NewAcceptedDomains(nil)
	if err != nil || empty.Len() != 0 {
		t.Fatalf("empty set: %v", err)
	}
}

func TestDomainType(t *testing.T) {
	for _, typ := range []DomainType{Authoritative, InternalRelay, ExternalRelay} {
		got, err := ParseDomainType(strings.ToLower(typ.String()))
		if err != nil || got != typ {
			t.Errorf("ParseDomainType(%s) = %v, %v", typ, got, err)
		}
	}
	if _, err := ParseDomainType("Relay"); err == nil || !strings.HasPrefix(err.Error(), "routing: ") {
		t.Errorf("ParseDomainType(Relay) error = %v", err)
	}
	b, err := json.Marshal(AcceptedDomain{Domain: "contoso.com", Type: InternalRelay})
	if err != nil || string(b) != `{"Domain":"contoso.com","Type":"InternalRelay"}` {
		t.Fatalf("json = %s, %v", b, err)
	}
	var d AcceptedDomain
	if err := json.Unmarshal([]byte(`{"Domain":"x.com","Type":"externalrelay"}`), &d); err != nil || d.Type != ExternalRelay {
		t.Fatalf("unmarshal = %+v, %v", d, err)
	}
	if _, err := DomainType(7).MarshalText(); err == nil {
		t.Fatal("invalid DomainType marshalled")
	}
}
