package auth

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestOffer(t *testing.T) {
	plainLogin := []string{MechPlain, MechLogin}
	tests := []struct {
		name string
		set  string
		st   State
		want Advertisement
	}{
		{"none", "None", State{}, Advertisement{}},
		{"tls before", "Tls", State{}, Advertisement{StartTLS: true}},
		{"tls after", "Tls", State{TLS: true}, Advertisement{}},
		{"basic plaintext", "BasicAuth", State{}, Advertisement{SASL: plainLogin, PlaintextAuth: true}},
		{"tls basic before", "Tls, BasicAuth", State{}, Advertisement{StartTLS: true, SASL: plainLogin, PlaintextAuth: true}},
		{"tls basic after", "Tls, BasicAuth", State{TLS: true}, Advertisement{SASL: plainLogin}},
		{"require tls before", "Tls, BasicAuth, BasicAuthRequireTLS", State{}, Advertisement{StartTLS: true, RequireTLSForAuth: true}},
		{"require tls after", "Tls, BasicAuth, BasicAuthRequireTLS", State{TLS: true}, Advertisement{SASL: plainLogin}},
		{"authenticated", "Tls, BasicAuth", State{TLS: true, Authenticated: true}, Advertisement{}},
		{"exchange server", "Tls, ExchangeServer", State{}, Advertisement{StartTLS: true, RequestClientCert: true}},
		{"exchange server after", "Tls, ExchangeServer", State{TLS: true}, Advertisement{RequestClientCert: true}},
		{"external", "ExternalAuthoritative", State{}, Advertisement{ExternallySecured: true}},
		{"external tls", "Tls, ExternalAuthoritative", State{}, Advertisement{StartTLS: true, ExternallySecured: true}},
		{"default frontend before", "Tls, BasicAuth, BasicAuthRequireTLS, ExchangeServer", State{},
			Advertisement{StartTLS: true, RequireTLSForAuth: true, RequestClientCert: true}},
		{"default frontend after", "Tls, BasicAuth, BasicAuthRequireTLS, ExchangeServer", State{TLS: true},
			Advertisement{SASL: plainLogin, RequestClientCert: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseMechanisms(tt.set)
			if err != nil {
				t.Fatal(err)
			}
			got := Offer(set, tt.st)
			if !slices.Equal(got.SASL, tt.want.SASL) {
				t.Fatalf("SASL = %v, want %v", got.SASL, tt.want.SASL)
			}
			got.SASL, tt.want.SASL = nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Offer(%v, %+v) = %+v, want %+v", set, tt.st, got, tt.want)
			}
		})
	}
}

// TestOfferConsistentWithCheck enumerates every valid set and
// state: no AUTH before TLS with BasicAuthRequireTLS, and CheckAuthAllowed
// agrees with the advertisement.
func TestOfferConsistentWithCheck(t *testing.T) {
	for set := None; set <= allMechanisms; set++ {
		if set.Validate() != nil {
			continue
		}
		for _, st := range []State{{}, {TLS: true}, {Authenticated: true}, {TLS: true, Authenticated: true}} {
			a := Offer(set, st)
			err := CheckAuthAllowed(set, st)
			if (len(a.SASL) > 0) != (err == nil) {
				t.Errorf("%v %+v: advertised %v but CheckAuthAllowed = %v", set, st, a.SASL, err)
			}
			if set.Has(BasicAuthRequireTLS) && !st.TLS && len(a.SASL) > 0 {
				t.Errorf("%v %+v: AUTH offered before TLS", set, st)
			}
			if a.StartTLS && st.TLS {
				t.Errorf("%v %+v: STARTTLS offered twice", set, st)
			}
		}
	}
}

func TestCheckAuthAllowed(t *testing.T) {
	req := TLS | BasicAuth | BasicAuthRequireTLS
	tests := []struct {
		set  Mechanism
		st   State
		want error
	}{
		{req, State{}, ErrTLSRequired},
		{req, State{TLS: true}, nil},
		{TLS | BasicAuth, State{}, nil},
		{TLS, State{TLS: true}, ErrAuthNotOffered},
		{ExternalAuthoritative, State{}, ErrAuthNotOffered},
		{req, State{TLS: true, Authenticated: true}, ErrAlreadyAuthenticated},
	}
	for _, tt := range tests {
		if got := CheckAuthAllowed(tt.set, tt.st); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("CheckAuthAllowed(%v, %+v) = %v, want %v", tt.set, tt.st, got, tt.want)
		}
	}
}
