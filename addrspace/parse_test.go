package addrspace

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	smtp := func(v string, cost int) AddressSpace { return AddressSpace{Type: SMTP, Value: v, Cost: cost} }
	tests := []struct {
		in   string
		want AddressSpace
	}{
		{"*", smtp("*", 1)},
		{"contoso.com", smtp("contoso.com", 1)},
		{"*.contoso.com", smtp("*.contoso.com", 1)},
		{"*.Contoso.com", smtp("*.contoso.com", 1)},
		{"*.com", smtp("*.com", 1)},
		{`"SMTP:contoso.com;1"`, smtp("contoso.com", 1)},
		{`"contoso.com;1"`, smtp("contoso.com", 1)},
		{`"SMTP:contoso.com"`, smtp("contoso.com", 1)},
		{`smtp:Contoso.COM.;7`, smtp("contoso.com", 7)},
		{`"contoso.com;100"`, smtp("contoso.com", 100)},
		{`  " contoso.com;2 "  `, smtp("contoso.com", 2)},
		{`"Local:fabrikam.com;3"`, AddressSpace{Local, SMTP, "fabrikam.com", 3}},
		{`Local:SMTP:*.contoso.com;3`, AddressSpace{Local, SMTP, "*.contoso.com", 3}},
		{`local:smtp:*;9`, AddressSpace{Local, SMTP, "*", 9}},
		{`X400:o=MySite;p=MyOrg;a=adatum;c=us;5`, AddressSpace{Organization, X400, "o=MySite;p=MyOrg;a=adatum;c=us", 5}},
		{`x400:c=us`, AddressSpace{Organization, X400, "c=us", 1}},
		{`X400:*;4`, AddressSpace{Organization, X400, "*", 4}},
		{`FAX:+1 425 555 0100`, AddressSpace{Organization, "FAX", "+1 425 555 0100", 1}},
		{`Local:notes:Domain/Org;2;10`, AddressSpace{Local, "NOTES", "Domain/Org;2", 10}},
		{`*.bücher.example`, smtp("*.xn--bcher-kva.example", 1)},
		{`BÜCHER.example`, smtp("xn--bcher-kva.example", 1)},
		{`xn--bcher-kva.example`, smtp("xn--bcher-kva.example", 1)},
		{`0007.example;007`, smtp("0007.example", 7)},
		{strings.Repeat("a", 63) + ".com", smtp(strings.Repeat("a", 63)+".com", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			again, err := Parse(got.String())
			if err != nil || again != got {
				t.Fatalf("round trip %q -> %q -> %#v, %v", tt.in, got.String(), again, err)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("a", 64) + ".com"
	huge := strings.Repeat(strings.Repeat("a", 63)+".", 4) + "com" // 259 characters
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "empty address space"},
		{"   ", 3, "empty address space"},
		{`""`, 1, "empty address space"},
		{"*contoso.com", 0, "wildcard"},
		{"a.*.com", 2, "wildcard"},
		{"*.*.com", 2, "wildcard"},
		{"a*.b.com", 1, "wildcard"},
		{"contoso..com", 7, "empty label"},
		{".contoso.com", 0, "empty label"},
		{"-contoso.com", 0, "hyphen"},
		{"contoso-.com", 0, "hyphen"},
		{long, 0, "longer than 63"},
		{huge, 255, "longer than 255"},
		{"contoso.com;0", 11, "cost must be 1 to 100"},
		{"contoso.com;101", 11, "cost must be 1 to 100"},
		{"contoso.com;99999999999999999999", 11, "cost must be 1 to 100"},
		{"contoso.com;x", 11, "bad cost"},
		{"contoso.com;", 11, "bad cost"},
		{"contoso.com;-1", 11, "bad cost"},
		{"X400:o=MySite;p=MyOrg;a=adatum;c=us", 30, "must end with ;cost"},
		{"FAX:a;b", 5, "must end with ;cost"},
		{"X400:o=MySite;pMyOrg;3", 14, "attr=value"},
		{"X400:o=;3", 5, "attr=value"},
		{`"contoso.com`, 0, "unterminated quote"},
		{`contoso.com"`, 11, "unexpected quote"},
		{`"con"toso.com"`, 4, "unexpected quote"},
		{"contoso.com:25", 0, "bad address-space type"},
		{"Local:", 6, "empty address space"},
		{"SMTP:;3", 5, "empty address space"},
		{"con_toso.com", 3, "invalid character"},
		{"[192.0.2.1]", 0, "invalid character"},
		{"FAX: a;2", 4, "white space"},
		{"FAX:a\x00b", 5, "invalid character"},
		{"FAX:\xff", 4, "invalid character"},
		{"bü_cher.example", 0, "internationalized"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *ParseError", tt.in, err)
			}
			if pe.Input != tt.in || pe.Offset != tt.offset || !strings.Contains(pe.Msg, tt.msg) {
				t.Fatalf("Parse(%q) = {%q %d %q}, want offset %d and msg containing %q",
					tt.in, pe.Input, pe.Offset, pe.Msg, tt.offset, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "addrspace: parse ") {
				t.Fatalf("error text %q", err)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	_, err := Parse("contoso.com;x")
	const want = `addrspace: parse "contoso.com;x": bad cost (at ";x")`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	_, err = Parse("bü_cher.example")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Unwrap() == nil {
		t.Fatalf("IDNA error should wrap its cause: %#v", err)
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want string // FormatList of the result
	}{
		{`"contoso.com;2","Local:fabrikam.com;3"`, `"SMTP:contoso.com;2","Local:SMTP:fabrikam.com;3"`},
		{`FourthCoffee.com,fabrikam.com`, `"SMTP:fourthcoffee.com;1","SMTP:fabrikam.com;1"`},
		{` * , "X400:o=MySite;p=MyOrg;a=adatum;c=us;5" `, `"SMTP:*;1","X400:o=MySite;p=MyOrg;a=adatum;c=us;5"`},
		{`"FAX:a,b;2",contoso.com;4`, `"FAX:a,b;2","SMTP:contoso.com;4"`},
		{`contoso.com`, `"SMTP:contoso.com;1"`},
	}
	for _, tt := range tests {
		got, err := ParseList(tt.in)
		if err != nil {
			t.Fatalf("ParseList(%q): %v", tt.in, err)
		}
		if s := FormatList(got); s != tt.want {
			t.Fatalf("ParseList(%q) = %s, want %s", tt.in, s, tt.want)
		}
		again, err := ParseList(FormatList(got))
		if err != nil || FormatList(again) != tt.want {
			t.Fatalf("FormatList round trip: %v %v", again, err)
		}
	}
}

func TestParseListErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
	}{
		{``, 0},
		{`contoso.com,`, 12},
		{`contoso.com,,fabrikam.com`, 12},
		{`"contoso.com;2" x,y`, 16},
		{`a.com,"b.com`, 6},
		{`a.com,b.com;x`, 11},
	}
	for _, tt := range tests {
		_, err := ParseList(tt.in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Offset != tt.offset || pe.Input != tt.in {
			t.Fatalf("ParseList(%q) = %v, want offset %d", tt.in, err, tt.offset)
		}
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustParse did not panic")
		}
	}()
	MustParse("*contoso.com")
}
