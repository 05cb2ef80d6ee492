package cmdlet

import (
	"strings"
	"testing"
)

// tokens renders a script's tokens as kind:text, one string per token.
func tokens(src string) ([]string, ErrorList) {
	var errs ErrorList
	l := newLexer("t.ps1", src, &errs)
	var out []string
	for {
		t := l.next()
		if t.kind == tokEOF {
			return out, errs
		}
		s := t.kind.String()
		if t.text != "" {
			s += ":" + t.text
		}
		if t.attached {
			s += ":attached"
		}
		out = append(out, s)
	}
}

func TestLexer(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // tokens joined by " "
	}{
		{"params and words", `New-SendConnector -Name To -Usage Internal`,
			"word:New-SendConnector parameter:Name word:To parameter:Usage word:Internal"},
		{"double quotes", `-Name "Cross-Forest"`, "parameter:Name string:Cross-Forest"},
		{"doubled quotes", `"a""b" 'c''d'`, `string:a"b string:c'd`},
		{"backtick escapes", "\"a`tb`\"c`$d\"", "string:a\tb\"c$d"},
		{"single quotes keep backticks", "'a`t$b'", "string:a`t$b"},
		{"comma lists", "a, b,c", "word:a ',' word:b ',' word:c"},
		{"variables", "$mycred = get-credential", "variable:mycred '=' word:get-credential"},
		{"assignment without spaces", "$x=Get-Credential", "variable:x '=' word:Get-Credential"},
		{"switch with attached value", "-Confirm:$false -Force", "parameter:Confirm:attached variable:false parameter:Force"},
		{"sizes and spans", `10MB "00:15:00" 2.00:00:00`, "word:10MB string:00:15:00 word:2.00:00:00"},
		{"hash table", `@{Add="a","b"; Remove=c}`,
			"'@{' word:Add '=' string:a ',' string:b end of statement:; word:Remove '=' word:c '}'"},
		{"equals outside a hash is text", "a=b", "word:a=b"},
		{"comments", "a # b c\n<# x\ny #> d", "word:a end of statement word:d"},
		{"continuation", "a `\n  -B c", "word:a parameter:B word:c"},
		{"continuation with CRLF", "a `\r\n-B", "word:a parameter:B"},
		{"separators", "a;b\nc", "word:a end of statement:; word:b end of statement word:c"},
		{"pipeline", `Get-ReceiveConnector "X" | Add-ADPermission`, "word:Get-ReceiveConnector string:X '|' word:Add-ADPermission"},
		{"placeholder", "-RemoteIPRanges <IP address of Hub>", "parameter:RemoteIPRanges placeholder:<IP address of Hub>"},
		{"script path", `.\Enable-CrossForestConnector.ps1 -genericMTA`, `word:.\Enable-CrossForestConnector.ps1 parameter:genericMTA`},
		{"negative number is a value", "-Port -1", "parameter:Port word:-1"},
		{"typographic dash and quotes", "\u2013Name \u201cTo Edge\u201d", "parameter:Name string:To Edge"},
		{"user with backslash", `-User "NT AUTHORITY\ANONYMOUS LOGON"`, `parameter:User string:NT AUTHORITY\ANONYMOUS LOGON`},
		{"bad characters", "a (b)", "word:a bad token:( word:b bad token:)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := tokens(tt.src)
			if len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
		})
	}
}

func TestLexerErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{`"abc`, "t.ps1:1:1: string is not closed"},
		{"a <# b", "t.ps1:1:3: block comment <# is not closed with #>"},
		{`x "a $b"`, "t.ps1:1:6: variables are not expanded inside double quotes; use single quotes or write `$"},
	}
	for _, tt := range tests {
		_, errs := tokens(tt.src)
		if errs.Error() != tt.want {
			t.Errorf("%q: got %q, want %q", tt.src, errs.Error(), tt.want)
		}
	}
}

func FuzzLexer(f *testing.F) {
	for _, s := range []string{"New-SendConnector -Name \"a\" -AddressSpaces *,b", "@{Add=\"a\"; Remove='b'}", "<# x #> `\n$a = b",
		"\"`", "<x", "-a:", "\u2013\u201c", "\xef\xbb\xbfa -b c", "\xff\xfea\x00\x00\xd8\x00", "\xfe\xff\xd8\x3d\xde\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var errs ErrorList
		l := newLexer("f", src, &errs)
		for i := 0; ; i++ {
			tok := l.next()
			if tok.kind == tokEOF {
				return
			}
			if i > len(src)+1 {
				t.Fatalf("lexer does not advance on %q", src)
			}
		}
	})
}
