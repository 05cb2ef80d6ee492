package routing_test

import (
	"testing"

	"github.com/hubedge/hubedge/routing"
)

func TestSameServer(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"HubA", "huba", true},
		{"HubA", "HubA.contoso.com", true},
		{"huba.contoso.com", "HUBA", true},
		{"huba.contoso.com", "HubA.Contoso.com", true},
		{"HubA.contoso.com", "HubA.fabrikam.com", false},
		{"HubA", "HubB", false},
		{"HubA", "hubab.contoso.com", false},
		{"", "HubA", false},
	} {
		if got := routing.SameServer(tt.a, tt.b); got != tt.want {
			t.Errorf("SameServer(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
