package wire_test

import (
	"errors"
	"testing"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in      string
		mailbox string
		rest    string
		bad     bool
	}{
		{in: "<a@b>", mailbox: "a@b"},
		{in: "<a@b> SIZE=1", mailbox: "a@b", rest: " SIZE=1"},
		{in: "<a@b>  SIZE=1", mailbox: "a@b", rest: "  SIZE=1"},
		{in: "<a@b> ", mailbox: "a@b", rest: " "},
		{in: "<>", mailbox: ""},
		{in: "<> BODY=8BITMIME", mailbox: "", rest: " BODY=8BITMIME"},
		{in: "<Postmaster>", mailbox: "Postmaster"},
		{in: "<user@[192.0.2.1]>", mailbox: "user@[192.0.2.1]"},
		{in: "<user@[IPv6:2001:db8::1]>", mailbox: "user@[IPv6:2001:db8::1]"},
		{in: "<jörg@bücher.example>", mailbox: "jörg@bücher.example"}, // RFC 6531: UTF-8 passes
		{in: "<a+tag@b.c>", mailbox: "a+tag@b.c"},

		// Source routes are dropped (RFC 5321 §4.1.1.3, §C).
		{in: "<@a,@b:u@c>", mailbox: "u@c"},
		{in: "<@a:u@c>", mailbox: "u@c"},
		{in: "<@a,@b:u@c> SIZE=1", mailbox: "u@c", rest: " SIZE=1"},
		{in: `<@a:"x y"@c>`, mailbox: "x y@c"},
		{in: "<@a,@b>", bad: true},
		{in: "<@a>:u@c", bad: true},
		{in: "<@a", bad: true},
		{in: "<@a:u@c", bad: true},
		{in: "<@a:>", bad: true}, // a route to no mailbox is not "<>"
		{in: "<@a,@b:>", bad: true},

		// Quoted local parts are unquoted.
		{in: `<"a b"@c>`, mailbox: "a b@c"},
		{in: `<"a\"b"@c>`, mailbox: `a"b@c`},
		{in: `<"a\\b"@c>`, mailbox: `a\b@c`},
		{in: `<"a\ b"@c>`, mailbox: `a b@c`},
		{in: `<"a>b"@c>`, mailbox: `a>b@c`},
		{in: `<"a@b"@c>`, mailbox: `a@b@c`},
		{in: `<"a"@c> SIZE=1`, mailbox: "a@c", rest: " SIZE=1"},
		{in: `<"postmaster">`, mailbox: "postmaster"},
		{in: `<"">`, bad: true}, // not the null path
		{in: `<""@c>`, mailbox: "@c"},
		{in: `<"a b@c>`, bad: true},    // unterminated quote
		{in: `<"a b`, bad: true},       // unterminated quote
		{in: `<"a\`, bad: true},        // escape at the end
		{in: `<"a\"@c>`, bad: true},    // the quote is escaped: unterminated
		{in: `<"a"b@c>`, bad: true},    // text after the quote
		{in: `<"a" @c>`, bad: true},    // space after the quote
		{in: `<"a"@c`, bad: true},      // no '>'
		{in: `<"a"@"c">`, bad: true},   // quote in the domain
		{in: "<\"a\r\"@c>", bad: true}, // control in quotes
		{in: "<\"a\n\"@c>", bad: true},
		{in: "<\"a\\\r\"@c>", bad: true}, // escaped control
		{in: "<\"a\x00\"@c>", bad: true},
		{in: "<\"a\x7f\"@c>", bad: true},

		// Malformed bracketed paths.
		{in: "", bad: true},
		{in: "<", bad: true},
		{in: "<a@b", bad: true},
		{in: "<a@b>x", bad: true},
		{in: "<a@b>SIZE=1", bad: true},
		{in: "<a@b>>", bad: true},
		{in: "<<a@b>", bad: true},
		{in: "<a b@c>", bad: true},
		{in: `<a"b@c>`, bad: true},
		{in: "<a@b\r>", bad: true},
		{in: "<a@b\n>", bad: true},
		{in: "<a@b\x00>", bad: true},
		{in: "<a@b\x7f>", bad: true},
		{in: "<a@b\t>", bad: true},
		{in: "<a@b\r\nRCPT TO:<c@d>>", bad: true},

		// Postfix-style paths without angle brackets.
		{in: "a@b", mailbox: "a@b"},
		{in: "a@b SIZE=1", mailbox: "a@b", rest: " SIZE=1"},
		{in: "a@b>", bad: true},
		{in: "a<b", bad: true},
		{in: `"a b"@c`, bad: true},
		{in: "a@b\r", bad: true},
		{in: " a@b", bad: true}, // an empty path is not "<>"
		{in: " ", bad: true},
	}
	for _, tt := range tests {
		mailbox, rest, err := wire.ParsePath([]byte(tt.in))
		if tt.bad {
			if err == nil {
				t.Errorf("ParsePath(%q) = %q, %q; want an error", tt.in, mailbox, rest)
				continue
			}
			checkReply(t, "ParsePath("+tt.in+")", err, 501, "5.5.2")
			continue
		}
		if err != nil || mailbox != tt.mailbox || string(rest) != tt.rest {
			t.Errorf("ParsePath(%q) = %q, %q, %v; want %q, %q", tt.in, mailbox, rest, err, tt.mailbox, tt.rest)
		}
	}
}

// checkReply checks that err is a *dsn.Reply with the code and enhanced
// code ("5.5.2"; "" to skip).
func checkReply(t *testing.T, what string, err error, code int, enhanced string) {
	t.Helper()
	var r *dsn.Reply
	if !errors.As(err, &r) {
		t.Errorf("%s: error %v (%T) is not a *dsn.Reply", what, err, err)
		return
	}
	if r.Code != code {
		t.Errorf("%s: code %d (%q), want %d", what, r.Code, r.Text, code)
	}
	if enhanced != "" {
		if got := r.Enhanced(); got != enhanced {
			t.Errorf("%s: enhanced code %s (%q), want %s", what, got, r.Text, enhanced)
		}
	}
}
