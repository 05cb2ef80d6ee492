package cmdlet

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

// dump renders a parsed script compactly: one statement per line,
// commands separated by " | ", values as kind:text.
func dump(s *Script) string {
	var b strings.Builder
	for _, st := range s.stmts {
		if st.assign != "" {
			fmt.Fprintf(&b, "$%s = ", st.assign)
		}
		for i, c := range st.pipeline {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(c.name)
			for _, p := range c.params {
				fmt.Fprintf(&b, " -%s", p.name)
				if p.val != nil {
					b.WriteString("=" + dumpValue(*p.val))
				}
			}
			for _, a := range c.args {
				b.WriteString(" " + dumpValue(a))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func dumpValue(v value) string {
	switch v.kind {
	case valList:
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			parts[i] = dumpValue(it)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case valHash:
		parts := make([]string, len(v.hash))
		for i, h := range v.hash {
			parts[i] = h.key + ":" + dumpValue(h.val)
		}
		return "{" + strings.Join(parts, " ") + "}"
	case valVar:
		return "$" + v.text
	case valString:
		return "'" + v.text + "'"
	case valPlaceholder:
		return "ph" + v.text
	}
	return v.text
}

func TestParse(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"named parameters", `New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true`,
			"New-SendConnector -Name='To Internet' -AddressSpaces=* -Usage=Internet -DNSRoutingEnabled=$true\n"},
		{"lists with and without spaces", "Set-X -A a, b -B c,d -C 'e',\"f\"", "Set-X -A=[a b] -B=[c d] -C=['e' 'f']\n"},
		{"list continued after a comma", "Set-X -A a,\n  b", "Set-X -A=[a b]\n"},
		{"switches", "Enable-CrossForestConnector -Connector X -genericMTA -Confirm:$false",
			"Enable-CrossForestConnector -Connector=X -genericMTA -Confirm=$false\n"},
		{"switch before a positional argument", "Remove-SendConnector -Force X", "Remove-SendConnector -Force=X\n"},
		{"positional argument", `Set-ReceiveConnector "Default Edge01" -Bindings 10.1.1.1:25`,
			"Set-ReceiveConnector -Bindings=10.1.1.1:25 'Default Edge01'\n"},
		{"assignment", "$mycred = get-credential", "$mycred = get-credential\n"},
		{"pipeline", `Get-ReceiveConnector "X" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"`,
			`Get-ReceiveConnector 'X' | Add-ADPermission -User='NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights='Ms-Exch-SMTP-Accept-Any-Recipient'` + "\n"},
		{"pipeline continued on the next line", "Get-SendConnector |\n Set-SendConnector -Enabled $false", "Get-SendConnector | Set-SendConnector -Enabled=$false\n"},
		{"hash table", `Set-SendConnector X -AddressSpaces @{Add="a","b"; Remove="c"}`,
			"Set-SendConnector -AddressSpaces={Add:['a' 'b'] Remove:'c'} X\n"},
		{"hash table over lines", "Set-X -A @{\n Add = a\n Remove = b\n}", "Set-X -A={Add:a Remove:b}\n"},
		{"separators and comments", "A -x 1; B # c\n<# block\n #>\nC `\n -y 2", "A -x=1\nB\nC -y=2\n"},
		{"placeholder", "New-X -R <IP address of hub>", "New-X -R=ph<IP address of hub>\n"},
		{"script path", `.\Enable-CrossForestConnector.ps1 -Connector "Cross-Forest"`, `.\Enable-CrossForestConnector.ps1 -Connector='Cross-Forest'` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.ps1", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(s); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"$x Get-Credential", "t.ps1:1:4: expected '=' after $x: a variable can only be assigned (with $x = Get-Credential)"},
		{"| Get-SendConnector", "t.ps1:1:1: expected a cmdlet name, found '|'"},
		{"Set-X -A @{Add}", "t.ps1:1:15: Set-X: expected '=' after Add in @{ }"},
		{"Set-X -A @{Add=@{B=c}}", "t.ps1:1:16: Set-X: a hash table cannot hold a hash table"},
		{"Set-X -A a,@{B=c}", "t.ps1:1:12: Set-X: a list item cannot be a list or a hash table"},
		{"Set-X -A (1)", "t.ps1:1:10: Set-X: unexpected bad token \"(\""},
		{"Set-X -A 1 |", "t.ps1:1:13: expected a cmdlet name, found end of script"},
		{"A -x 'a", "t.ps1:1:6: string is not closed"},
		{"Set-X -A (1)\nSet-Y -B @{Add}\nSet-Z", "t.ps1:1:10: Set-X: unexpected bad token \"(\"\nt.ps1:2:15: Set-Y: expected '=' after Add in @{ }"},
	}
	for _, tt := range tests {
		_, err := Parse("t.ps1", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q:\ngot  %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

// encodeUTF16 writes s as UTF-16 with a byte-order mark, as Windows
// PowerShell's `>` does.
func encodeUTF16(s string, bigEndian bool) string {
	var b strings.Builder
	put := func(u uint16) {
		if bigEndian {
			b.WriteByte(byte(u >> 8))
			b.WriteByte(byte(u))
		} else {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
	}
	put(0xfeff)
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return b.String()
}

func TestEncodings(t *testing.T) {
	const script = "New-AcceptedDomain -Name 'Café 😀' -DomainName c.com\r\n"
	const want = "New-AcceptedDomain -Name='Café 😀' -DomainName=c.com\n"
	tests := []struct{ name, src, want, err string }{
		{"UTF-8", script, want, ""},
		{"UTF-8 with BOM", "\xef\xbb\xbf" + script, want, ""},
		{"UTF-16LE", encodeUTF16(script, false), want, ""},
		{"UTF-16BE", encodeUTF16(script, true), want, ""},
		{"columns count after the BOM", "\xef\xbb\xbfSet-X -A (1)", "", `t.ps1:1:10: Set-X: unexpected bad token "("`},
		{"UTF-16 columns count UTF-8 bytes", encodeUTF16("é\nSet-X -A (1)", false), "", `t.ps1:2:10: Set-X: unexpected bad token "("`},
		{"odd-length UTF-16LE", encodeUTF16(script, false) + "\x00", "",
			"t.ps1:2:1: invalid UTF-16: the text ends in half a character (an odd number of bytes)"},
		{"odd-length UTF-16BE", "\xfe\xff\x00", "",
			"t.ps1:1:1: invalid UTF-16: the text ends in half a character (an odd number of bytes)"},
		{"unpaired high surrogate", encodeUTF16("A -x ", false) + "\x00\xd8" + encodeUTF16("b", false)[2:], "",
			"t.ps1:1:6: invalid UTF-16: unpaired surrogate U+D800"},
		{"lone low surrogate at the end", encodeUTF16("A", true) + "\xdc\x00", "",
			"t.ps1:1:2: invalid UTF-16: unpaired surrogate U+DC00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.ps1", []byte(tt.src))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got  %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(s); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			c, err := s.Apply(nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(c.AcceptedDomains); n != 1 || c.AcceptedDomains[0].Name != "Café 😀" {
				t.Errorf("accepted domains %+v", c.AcceptedDomains)
			}
		})
	}
}

// FuzzParse runs arbitrary scripts through the parser and the evaluator:
// either may refuse, neither may panic, and a refusal is an ErrorList.
func FuzzParse(f *testing.F) {
	for _, s := range []string{everything, "New-SendConnector -Name X -AddressSpaces *",
		`Get-ReceiveConnector "X" | Add-ADPermission -User "u" -ExtendedRights "Ms-Exch-SMTP-Submit"`,
		"Set-SendConnector X -AddressSpaces @{Add=\"a\",\"b\"; Remove=\"c\"}", "$c = Get-Credential\n$c", "A -B:", "@{",
		"Add-IPBlockListEntry -IPRange 10.0.0.1-10.0.0.9 -ExpirationTime '1/31/2027 6:00 PM'\nRemove-IPBlockListEntry 1",
		"Add-IPBlockListProvider A -LookupDomain a.example -IPAddressesMatch 127.0.0.2\nSet-IPBlockListProvider A -Priority 1 -Name B -RejectionResponse x",
		"Set-ContentFilterConfig -SCLRejectThreshold 5 -BypassedSenders @{Add='a@b.c'}",
		"\xef\xbb\xbfNew-AcceptedDomain -Name C -DomainName c.com\r\n", encodeUTF16("New-SendConnector -Name \"X😀\" -AddressSpaces *", false),
		encodeUTF16("New-SendConnector -Name X -AddressSpaces *", true) + "\xd8", "New-SendConnector -Name \"C\x00\" -AddressSpaces *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Load("f.ps1", []byte(src), nil, Options{})
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		if _, err := c.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
		checkAgentsAccept(t, c)
	})
}
