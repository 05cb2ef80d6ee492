package auth

import (
	"errors"
	"testing"
)

func TestParseMechanisms(t *testing.T) {
	tests := []struct {
		in      string
		want    Mechanism
		wantErr error
	}{
		{"None", None, nil},
		{"none", None, nil},
		{"Tls", TLS, nil},
		{"TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer", TLS | BasicAuth | BasicAuthRequireTLS | ExchangeServer, nil},
		{"Tls, BasicAuth,BasicAuthRequireTLS", TLS | BasicAuth | BasicAuthRequireTLS, nil},
		{" tls , basicauth ", TLS | BasicAuth, nil},
		{"ExternalAuthoritative", ExternalAuthoritative, nil},
		{"Tls, Integrated", TLS | Integrated, nil},
		{"Tls,Tls", TLS, nil},
		{"", 0, ErrUnknownMechanism},
		{"  ", 0, ErrUnknownMechanism},
		{"Tls,,BasicAuth", 0, ErrUnknownMechanism},
		{"Kerberos", 0, ErrUnknownMechanism},
		{"None,Tls", 0, ErrInvalidCombination},
		{"None,None", 0, ErrInvalidCombination},
		{"Tls;BasicAuth", 0, ErrUnknownMechanism},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMechanisms(tt.in)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("ParseMechanisms(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Input != tt.in {
					t.Fatalf("error %v is not a *ParseError for the input", err)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("ParseMechanisms(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMechanismString(t *testing.T) {
	tests := []struct {
		m    Mechanism
		want string
	}{
		{None, "None"},
		{TLS, "Tls"},
		{BasicAuth | TLS | ExchangeServer, "Tls, BasicAuth, ExchangeServer"},
		{allMechanisms, "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative"},
		{TLS | 1<<10, "Tls, Mechanism(0x400)"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%#x.String() = %q, want %q", uint16(tt.m), got, tt.want)
		}
	}
}

func TestMechanismTextRoundTrip(t *testing.T) {
	for m := Mechanism(0); m <= allMechanisms; m++ {
		text, err := m.MarshalText()
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		var back Mechanism
		if err := back.UnmarshalText(text); err != nil || back != m {
			t.Fatalf("round trip %v: got %v, %v", m, back, err)
		}
	}
	if _, err := Mechanism(1 << 12).MarshalText(); !errors.Is(err, ErrUnknownMechanism) {
		t.Fatalf("unknown bits marshalled: %v", err)
	}
	var m Mechanism = TLS
	if err := m.UnmarshalText(nil); err != nil || m != None {
		t.Fatalf("empty text = %v, %v; want None", m, err)
	}
}

func TestMechanismValidate(t *testing.T) {
	tests := []struct {
		in      string
		wantErr error
	}{
		{"None", nil},
		{"Tls", nil},
		{"Tls, BasicAuth", nil},
		{"BasicAuth", nil},
		{"Tls, BasicAuth, BasicAuthRequireTLS", nil},
		{"Tls, BasicAuth, BasicAuthRequireTLS, ExchangeServer", nil},
		{"Tls, ExchangeServer", nil},
		{"ExternalAuthoritative", nil},
		{"Tls, ExternalAuthoritative", nil},
		{"BasicAuth, BasicAuthRequireTLS", ErrInvalidCombination},
		{"Tls, BasicAuthRequireTLS", ErrInvalidCombination},
		{"ExternalAuthoritative, BasicAuth", ErrInvalidCombination},
		{"ExternalAuthoritative, Tls, ExchangeServer", ErrInvalidCombination},
		{"ExchangeServer", ErrInvalidCombination},
		{"Tls, Integrated", ErrUnsupported},
		{"Tls, Integrated, BasicAuth, BasicAuthRequireTLS", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseMechanisms(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate(%v) = %v", m, err)
				}
				return
			}
			var me *MechanismError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &me) || me.Set != m {
				t.Fatalf("Validate(%v) = %v, want %v as *MechanismError", m, err, tt.wantErr)
			}
		})
	}
	if err := Mechanism(1 << 9).Validate(); !errors.Is(err, ErrUnknownMechanism) {
		t.Fatalf("unknown bits: %v", err)
	}
}

func TestMechanismHasLen(t *testing.T) {
	s := TLS | BasicAuth
	if !s.Has(TLS) || !s.Has(TLS|BasicAuth) || s.Has(BasicAuthRequireTLS) || !s.Has(None) {
		t.Fatal("Has is wrong")
	}
	if s.Len() != 2 || None.Len() != 0 {
		t.Fatal("Len is wrong")
	}
}

func FuzzParseMechanisms(f *testing.F) {
	for _, s := range []string{"None", "Tls", "TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer",
		"Tls, Integrated", "ExternalAuthoritative", "", ",", "None,Tls", " basicauth ,TLS", "Tls,\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMechanisms(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError", err)
			}
			return
		}
		if m&^allMechanisms != 0 {
			t.Fatalf("%q parsed to unknown bits %#x", s, uint16(m))
		}
		back, err := ParseMechanisms(m.String())
		if err != nil || back != m {
			t.Fatalf("%q: String %q does not round-trip: %v, %v", s, m.String(), back, err)
		}
		_ = m.Validate() // must not panic
	})
}
