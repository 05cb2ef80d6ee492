package deliver

import (
	"strings"
	"testing"
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
		got := parseEHLO(tt.in)
		if len(got) != len(tt.want) {
			t.Fatalf("%q: got %v, want %v", tt.in, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tt.in, k, got[k], v)
			}
		}
	}
	if e := toAuthExtensions(parseEHLO("mx\nSTARTTLS\nAUTH LOGIN PLAIN")); !e.StartTLS || !e.SupportsAuth("plain") {
		t.Fatalf("extensions %+v", e)
	}
}

func TestSplitReplyText(t *testing.T) {
	tests := []struct{ in, enh, rest string }{
		{"2.0.0 OK: queued", "2.0.0", "OK: queued"},
		{"OK queued", "", "OK queued"},
		{"5.1.10", "5.1.10", ""},
		{"2.0 nope", "", "2.0 nope"},
		{"", "", ""},
	}
	for _, tt := range tests {
		enh, rest := splitReplyText(tt.in)
		if enh != tt.enh || rest != tt.rest {
			t.Errorf("splitReplyText(%q) = %q, %q", tt.in, enh, rest)
		}
	}
}

func FuzzParseEHLO(f *testing.F) {
	for _, s := range []string{"", "mx", "mx\nSIZE 10\nAUTH PLAIN", "mx\n\n\n", "mx\n a b \nx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ext := parseEHLO(s)
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

func FuzzSplitReplyText(f *testing.F) {
	for _, s := range []string{"2.0.0 OK", "5.1.10", "x.y.z a", "999.999.999 big", "1.2.3.4 x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enh, rest := splitReplyText(s)
		if enh == "" {
			if rest != s {
				t.Fatalf("text changed without code: %q -> %q", s, rest)
			}
			return
		}
		if formatEnhanced(parseEnhanced(enh)) == "" && parseEnhanced(enh)[0] != 0 {
			t.Fatalf("code %q does not round-trip", enh)
		}
		if !strings.HasPrefix(s, enh) {
			t.Fatalf("code %q not a prefix of %q", enh, s)
		}
	})
}
