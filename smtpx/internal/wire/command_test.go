package wire_test

import (
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		verb wire.Verb
		arg  string
	}{
		{"HELO example.org", wire.HELO, "example.org"},
		{"EHLO example.org", wire.EHLO, "example.org"},
		{"ehlo example.org", wire.EHLO, "example.org"},
		{"eHlO example.org", wire.EHLO, "example.org"},
		{"MAIL FROM:<a@b>", wire.MAIL, "FROM:<a@b>"},
		{"mail from:<a@b> SIZE=10", wire.MAIL, "from:<a@b> SIZE=10"},
		{"MAIL FROM: <a@b>", wire.MAIL, "FROM: <a@b>"},
		{"MAIL   FROM:<a@b>   ", wire.MAIL, "FROM:<a@b>"},
		{"RCPT TO:<a@b>", wire.RCPT, "TO:<a@b>"},
		{"DATA", wire.DATA, ""},
		{"data", wire.DATA, ""},
		{"DATA ", wire.DATA, ""},
		{"DATA x", wire.DATA, "x"},
		{"BDAT 100 LAST", wire.BDAT, "100 LAST"},
		{"RSET", wire.RSET, ""},
		{"NOOP anything at all", wire.NOOP, "anything at all"},
		{"QUIT", wire.QUIT, ""},
		{"Quit", wire.QUIT, ""},
		{"VRFY postmaster", wire.VRFY, "postmaster"},
		{"EXPN list", wire.EXPN, "list"},
		{"HELP", wire.HELP, ""},
		{"HELP MAIL", wire.HELP, "MAIL"},
		{"STARTTLS", wire.STARTTLS, ""},
		{"starttls", wire.STARTTLS, ""},
		{"AUTH PLAIN AGFAAGI=", wire.AUTH, "PLAIN AGFAAGI="},
		{"AUTH LOGIN", wire.AUTH, "LOGIN"},

		// Not verbs.
		{"", wire.Unknown, ""},
		{" ", wire.Unknown, ""},
		{"X", wire.Unknown, ""},
		{"FOO bar", wire.Unknown, "bar"},
		{" MAIL FROM:<a@b>", wire.Unknown, "MAIL FROM:<a@b>"},
		{"MAILFROM:<a@b>", wire.Unknown, ""},
		{"MAIL\tFROM:<a@b>", wire.Unknown, ""},
		{"MAIL:", wire.Unknown, ""},
		{"DATA\r", wire.Unknown, ""},
		{"STARTTLSX", wire.Unknown, ""},
		{"START", wire.Unknown, ""},
		{"HEL", wire.Unknown, ""},
		{"HELLO", wire.Unknown, ""},
		{"M\xc3\x81IL", wire.Unknown, ""}, // not folded: ASCII only
		{"\xcdAIL x", wire.Unknown, "x"},  // 'M'|0x80 is not 'M'
		{"MA\x09L x", wire.Unknown, "x"},
		{"QUIT\x00", wire.Unknown, ""},
		{"GET / HTTP/1.1", wire.Unknown, "/ HTTP/1.1"},
		{"POST / HTTP/1.1", wire.Unknown, "/ HTTP/1.1"},
	}
	for _, tt := range tests {
		verb, arg := wire.ParseCommand([]byte(tt.line))
		if verb != tt.verb || string(arg) != tt.arg {
			t.Errorf("ParseCommand(%q) = %v, %q; want %v, %q", tt.line, verb, arg, tt.verb, tt.arg)
		}
	}
}

func TestParseCommandArgAliasesLine(t *testing.T) {
	line := []byte("MAIL FROM:<a@b>")
	_, arg := wire.ParseCommand(line)
	arg[0] = 'f'
	if string(line) != "MAIL fROM:<a@b>" {
		t.Errorf("arg does not alias the line")
	}
	allocs := testing.AllocsPerRun(100, func() {
		wire.ParseCommand(line)
	})
	if allocs != 0 {
		t.Errorf("ParseCommand allocates %v times, want 0", allocs)
	}
}

func TestVerbString(t *testing.T) {
	for v, want := range map[wire.Verb]string{
		wire.Unknown: "UNKNOWN", wire.HELO: "HELO", wire.EHLO: "EHLO",
		wire.MAIL: "MAIL", wire.RCPT: "RCPT", wire.DATA: "DATA", wire.BDAT: "BDAT",
		wire.RSET: "RSET", wire.NOOP: "NOOP", wire.QUIT: "QUIT", wire.VRFY: "VRFY",
		wire.EXPN: "EXPN", wire.HELP: "HELP", wire.STARTTLS: "STARTTLS",
		wire.AUTH: "AUTH", wire.AUTH + 1: "UNKNOWN", 255: "UNKNOWN",
	} {
		if got := v.String(); got != want {
			t.Errorf("Verb(%d).String() = %q, want %q", v, got, want)
		}
	}
	// Every verb parses back from its name in either case.
	for v := wire.HELO; v <= wire.AUTH; v++ {
		for _, s := range []string{v.String(), lower(v.String())} {
			if got, _ := wire.ParseCommand([]byte(s)); got != v {
				t.Errorf("ParseCommand(%q) = %v, want %v", s, got, v)
			}
		}
	}
}

func TestHasPrefixFold(t *testing.T) {
	tests := []struct {
		b, w string
		want bool
	}{
		{"FROM:<a@b>", "FROM:", true},
		{"from:<a@b>", "FROM:", true},
		{"FrOm:", "FROM:", true},
		{"FROM", "FROM:", false},
		{"FROM <a@b>", "FROM:", false},
		{"", "", true},
		{"x", "", true},
		{"", "TO:", false},
		{"to:", "TO:", true},
		{"tO:x", "TO:", true},
		{"\xd4O:", "TO:", false}, // 't'+0x60 must not fold
		{"[O:", "TO:", false},
		{"8BITMIME", "8BITMIME", true},
		{"8bitmime", "8BITMIME", true},
	}
	for _, tt := range tests {
		if got := wire.HasPrefixFold([]byte(tt.b), tt.w); got != tt.want {
			t.Errorf("HasPrefixFold(%q, %q) = %v, want %v", tt.b, tt.w, got, tt.want)
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestParseBDAT(t *testing.T) {
	tests := []struct {
		arg      string
		size     int64
		last, ok bool
	}{
		{"0", 0, false, true},
		{"4096", 4096, false, true},
		{"4096 LAST", 4096, true, true},
		{"12 last", 12, true, true},
		{"12  LAST ", 12, true, true},
		{"", 0, false, false},
		{"-1", 0, false, false},
		{"+5", 0, false, false},
		{"5 FIRST", 0, false, false},
		{"5 LAST x", 0, false, false},
		{"1234567890123456789", 0, false, false},
	}
	for _, tt := range tests {
		size, last, ok := wire.ParseBDAT([]byte(tt.arg))
		if size != tt.size || last != tt.last || ok != tt.ok {
			t.Errorf("ParseBDAT(%q) = %d, %v, %v; want %d, %v, %v", tt.arg, size, last, ok, tt.size, tt.last, tt.ok)
		}
	}
}
