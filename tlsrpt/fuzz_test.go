package tlsrpt_test

import (
	"strings"
	"testing"

	"github.com/hubedge/hubedge/tlsrpt"
)

func FuzzParseRUA(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com")
	f.Add("v=TLSRPTv1;rua=,;rua=https:")
	f.Fuzz(func(t *testing.T, s string) {
		uris, err := tlsrpt.ParseRUA(s)
		if err != nil {
			return
		}
		for _, u := range uris {
			if !strings.HasPrefix(u, "mailto:") && !strings.HasPrefix(u, "https:") {
				t.Fatalf("ParseRUA(%q) returned %q", s, u)
			}
		}
	})
}
