package deliver

import (
	"testing"

	"github.com/hubedge/hubedge/queue"
)

// The domain a DomainValidation certificate is checked against is the one
// mail goes to: after the last '@', never one inside a quoted local part.
func TestDomainOf(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"bob@Contoso.COM", "contoso.com"},
		{`"a@fabrikam.com"@contoso.com`, "contoso.com"},
		{"a@b@contoso.com", "contoso.com"},
		{"bob@contoso.com.", "contoso.com"},
		{"nodomain", "nodomain"},
	}
	for _, tc := range tests {
		if got := domainOf([]queue.Recipient{{Address: tc.addr}}); got != tc.want {
			t.Errorf("domainOf(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if got := domainOf(nil); got != "" {
		t.Errorf("domainOf(nil) = %q", got)
	}
}
