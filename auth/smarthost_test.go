package auth

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseSmartHostAuth(t *testing.T) {
	tests := []struct {
		in      string
		want    SmartHostAuth
		wantErr bool
	}{
		{"None", SmartHostNone, false},
		{"basicauth", SmartHostBasicAuth, false},
		{"BasicAuthRequireTLS", SmartHostBasicAuthRequireTLS, false},
		{"ExchangeServer", SmartHostExchangeServer, false},
		{" ExternalAuthoritative ", SmartHostExternalAuthoritative, false},
		// seeds/004: -SmartHostAuthMechanism BasicAuth,BasicAuthRequireTLS
		{"BasicAuth,BasicAuthRequireTLS", SmartHostBasicAuthRequireTLS, false},
		{"BasicAuthRequireTLS, BasicAuth", SmartHostBasicAuthRequireTLS, false},
		{"BasicAuth,BasicAuth", 0, true},
		{"BasicAuthRequireTLS,ExchangeServer", 0, true},
		{"None,ExchangeServer", 0, true},
		{"Tls", 0, true},
		{"", 0, true},
		{"Integrated", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSmartHostAuth(tt.in)
		var pe *ParseError
		if tt.wantErr != (err != nil) || (err != nil && !errors.As(err, &pe)) || got != tt.want {
			t.Errorf("ParseSmartHostAuth(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSmartHostAuthText(t *testing.T) {
	for a := SmartHostNone; a <= SmartHostExternalAuthoritative; a++ {
		text, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back SmartHostAuth
		if err := back.UnmarshalText(text); err != nil || back != a {
			t.Fatalf("%v round trip: %v %v", a, back, err)
		}
	}
	if _, err := SmartHostAuth(9).MarshalText(); err == nil || SmartHostAuth(9).String() != "SmartHostAuth(9)" {
		t.Fatal("invalid value marshalled")
	}
	back := SmartHostBasicAuth
	if err := back.UnmarshalText(nil); err != nil || back != SmartHostNone {
		t.Fatalf("empty = %v %v", back, err)
	}
}

func TestTLSAuthLevelText(t *testing.T) {
	for l := TLSAuthUnset; l <= DomainValidation; l++ {
		text, err := l.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back TLSAuthLevel
		if err := back.UnmarshalText(text); err != nil || back != l {
			t.Fatalf("%v round trip: %v %v", l, back, err)
		}
	}
	if l, err := ParseTLSAuthLevel("domainvalidation"); err != nil || l != DomainValidation {
		t.Fatalf("case-insensitive parse: %v %v", l, err)
	}
	if _, err := ParseTLSAuthLevel("Opportunistic"); err == nil {
		t.Fatal("unknown level parsed")
	}
	if _, err := TLSAuthLevel(7).MarshalText(); err == nil {
		t.Fatal("invalid level marshalled")
	}
}

func TestCredentialsRedacted(t *testing.T) {
	c := Credentials{Username: `CONTOSO\gw`, Password: "hunter2"}
	p := ClientPolicy{Auth: SmartHostBasicAuth, Credentials: c}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "cred", c)
	outputs := []string{
		c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c),
		fmt.Sprintf("%v %+v", p, p), fmt.Sprintf("%#v", p.Credentials), buf.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("password leaked: %s", out)
		}
		if !strings.Contains(out, "gw") {
			t.Fatalf("user name missing: %s", out)
		}
	}
	if !(Credentials{}).IsZero() || c.IsZero() {
		t.Fatal("IsZero wrong")
	}
}

func FuzzParseSmartHostAuth(f *testing.F) {
	for _, s := range []string{"None", "BasicAuth,BasicAuthRequireTLS", "exchangeserver", ",", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := ParseSmartHostAuth(s); err == nil {
			if back, err := ParseSmartHostAuth(a.String()); err != nil || back != a {
				t.Fatalf("%q -> %v does not round-trip", s, a)
			}
		}
		if l, err := ParseTLSAuthLevel(s); err == nil {
			if back, err := ParseTLSAuthLevel(l.String()); err != nil || back != l {
				t.Fatalf("%q -> %v does not round-trip", s, l)
			}
		}
	})
}
