package wire_test

import (
	"strings"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestQuoteLocal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bob", "bob"},
		{"bob.smith", "bob.smith"},
		{"bob+tag", "bob+tag"},
		{"jörg", "jörg"},
		{"john smith", `"john smith"`},
		{"bob@fabrikam.com", `"bob@fabrikam.com"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{".bob", `".bob"`},
		{"bob.", `"bob."`},
		{"a..b", `"a..b"`},
	}
	for _, tt := range tests {
		if got := wire.QuoteLocal(tt.in); got != tt.want {
			t.Errorf("QuoteLocal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidLocal(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"bob", true},
		{"john smith", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"b\x00b", false},
		{"b\rb", false},
		{"b\x7fb", false},
	}
	for _, tt := range tests {
		if got := wire.ValidLocal(tt.in); got != tt.want {
			t.Errorf("ValidLocal(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzQuoteLocal: a local part QuoteLocal writes, ParsePath reads back as
// it was.
func FuzzQuoteLocal(f *testing.F) {
	for _, s := range []string{"bob", "john smith", `a"b`, `a\b`, ".x", "a@b", "jörg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, local string) {
		if !wire.ValidLocal(local) {
			return
		}
		path := "<" + wire.QuoteLocal(local) + "@contoso.com>"
		got, rest, err := wire.ParsePath([]byte(path))
		if strings.ContainsAny(local, "<>") && !strings.HasPrefix(wire.QuoteLocal(local), `"`) {
			t.Fatalf("QuoteLocal(%q) left an angle bracket unquoted", local)
		}
		if err != nil {
			t.Fatalf("ParsePath(%q): %v", path, err)
		}
		if got != local+"@contoso.com" || len(rest) != 0 {
			t.Fatalf("ParsePath(%q) = %q, %q; want %q", path, got, rest, local+"@contoso.com")
		}
	})
}

func TestIsASCII(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"bob@contoso.com", true},
		{"", true},
		{"jörg@bücher.example", false},
		{"bob@xn--bcher-kva.example", true},
		{"\x7f@x", true},
		{"\x80", false},
	} {
		if got := wire.IsASCII(tt.in); got != tt.want {
			t.Errorf("IsASCII(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
