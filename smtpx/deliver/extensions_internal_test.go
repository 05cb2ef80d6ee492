package deliver

import (
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestAuthExtensions(t *testing.T) {
	if e := toAuthExtensions(wire.ParseEHLO("mx\nSTARTTLS\nAUTH LOGIN PLAIN")); !e.StartTLS || !e.SupportsAuth("plain") {
		t.Fatalf("extensions %+v", e)
	}
}
