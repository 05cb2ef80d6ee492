package wire_test

import (
	"strings"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestParseEHLO(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"mx.fabrikam.com greets you", map[string]string{}},
		{"mx\nPIPELINING\nsize 1024\nAUTH PLAIN LOGIN\nSTARTTLS\n\n8BITMIME", map[string]string{
			"PIPELINING": "", "SIZE": "1024", "AUTH": "PLAIN LOGIN", "STARTTLS": "", "8BITMIME": ""}},
		{"mx\nAUTH LOGIN\nAUTH PLAIN", map[string]string{"AUTH": "LOGIN"}},
	}
	for _, tt := range tests {
		got := wire.ParseEHLO(tt.in)
		if len(got) != len(tt.want) {
			t.Fatalf("%q: got %v, want %v", tt.in, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tt.in, k, got[k], v)
			}
		}
	}
}

func FuzzParseEHLO(f *testing.F) {
	for _, s := range []string{"", "mx", "mx\nSIZE 10\nAUTH PLAIN", "mx\n\n\n", "mx\n a b \nx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ext := wire.ParseEHLO(s)
		for k, v := range ext {
			if k == "" || k != strings.ToUpper(k) || strings.ContainsAny(k, " \n") {
				t.Fatalf("bad keyword %q", k)
			}
			if strings.Contains(v, "\n") || v != strings.TrimSpace(v) {
				t.Fatalf("bad params %q", v)
			}
		}
	})
}
