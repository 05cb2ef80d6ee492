package dsn

import (
	"errors"
	"testing"
)

func TestParseNotify(t *testing.T) {
	tests := []struct {
		in      string
		want    Notify
		str     string
		wantErr bool
	}{
		{in: "NEVER", want: NotifyNever, str: "NEVER"},
		{in: "never", want: NotifyNever, str: "NEVER"},
		{in: "SUCCESS", want: NotifySuccess, str: "SUCCESS"},
		{in: "success,failure", want: NotifySuccess | NotifyFailure, str: "SUCCESS,FAILURE"},
		{in: "DELAY,FAILURE,SUCCESS", want: NotifySuccess | NotifyFailure | NotifyDelay, str: "SUCCESS,FAILURE,DELAY"},
		{in: "FAILURE,FAILURE", want: NotifyFailure, str: "FAILURE"},
		{in: "", wantErr: true},
		{in: "NEVER,SUCCESS", wantErr: true},
		{in: "FAILURE,NEVER", wantErr: true},
		{in: "SOMETIMES", wantErr: true},
		{in: "SUCCESS,", wantErr: true},
		{in: " SUCCESS", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNotify(tt.in)
			if tt.wantErr {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Kind != "notify" {
					t.Fatalf("ParseNotify(%q) err = %v, want *ParseError", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want || got.String() != tt.str {
				t.Fatalf("ParseNotify(%q) = %v (%q), %v; want %v (%q)", tt.in, uint8(got), got, err, uint8(tt.want), tt.str)
			}
		})
	}
}

func TestNotifyWants(t *testing.T) {
	tests := []struct {
		n                      Notify
		success, failure, dely bool
	}{
		{0, false, true, true}, // unset: RFC 3461 default
		{NotifyNever, false, false, false},
		{NotifySuccess, true, false, false},
		{NotifyFailure, false, true, false},
		{NotifyDelay, false, false, true},
		{NotifyFailure | NotifyDelay, false, true, true},
	}
	for _, tt := range tests {
		if tt.n.WantSuccess() != tt.success || tt.n.WantFailure() != tt.failure || tt.n.WantDelay() != tt.dely {
			t.Errorf("%q: wants = %v %v %v, want %v %v %v", tt.n, tt.n.WantSuccess(), tt.n.WantFailure(),
				tt.n.WantDelay(), tt.success, tt.failure, tt.dely)
		}
	}
	if Notify(0).String() != "" {
		t.Errorf("unset Notify String = %q", Notify(0).String())
	}
}

func TestParseRet(t *testing.T) {
	tests := []struct {
		in      string
		want    Ret
		wantErr bool
	}{
		{"FULL", RetFull, false},
		{"full", RetFull, false},
		{"HDRS", RetHdrs, false},
		{"Hdrs", RetHdrs, false},
		{"", RetUnset, true},
		{"HEADERS", RetUnset, true},
	}
	for _, tt := range tests {
		got, err := ParseRet(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRet(%q) = %v, %v", tt.in, got, err)
		}
		if err == nil && !equalFold(got.String(), tt.in) {
			t.Errorf("Ret.String() = %q for %q", got.String(), tt.in)
		}
	}
	if RetUnset.String() != "" {
		t.Errorf("RetUnset.String() = %q", RetUnset.String())
	}
}

func equalFold(a, b string) bool { return len(a) == len(b) && (a == b || lower(a) == lower(b)) }

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestXText(t *testing.T) {
	tests := []struct {
		dec, enc string
	}{
		{"", ""},
		{"bob@example.com", "bob@example.com"},
		{"bob+sales@example.com", "bob+2Bsales@example.com"},
		{"a=b", "a+3Db"},
		{"with space", "with+20space"},
		{"tab\there", "tab+09here"},
		{"José@example.com", "Jos+C3+A9@example.com"},
		{"\x00\x7f~!", "+00+7F~!"},
	}
	for _, tt := range tests {
		if got := EncodeXText(tt.dec); got != tt.enc {
			t.Errorf("EncodeXText(%q) = %q, want %q", tt.dec, got, tt.enc)
		}
		if got, err := DecodeXText(tt.enc); err != nil || got != tt.dec {
			t.Errorf("DecodeXText(%q) = %q, %v; want %q", tt.enc, got, err, tt.dec)
		}
	}
	// Lower-case hex is accepted on input.
	if got, err := DecodeXText("a+2bb"); err != nil || got != "a+b" {
		t.Errorf("DecodeXText lower-case = %q, %v", got, err)
	}
	for _, bad := range []string{"+", "+4", "+G0", "+0G", "a=b", "a b", "é", "x\x00", "ab+"} {
		if _, err := DecodeXText(bad); err == nil {
			t.Errorf("DecodeXText(%q) succeeded", bad)
		}
	}
}

func TestDecodeXTextStrict(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"abc", "abc", true},
		{"!~", "!~", true},
		{"<>", "<>", true},
		{"a;b,c:d", "a;b,c:d", true},
		{"+2B", "+", true},
		{"+3D", "=", true},
		{"a+2Bb@c", "a+b@c", true},
		{"+00", "\x00", true}, // any octet: policy is the caller's
		{"+FF", "\xff", true},
		{"+0D+0A", "\r\n", true},
		{"+41+42", "AB", true},
		{"+2B+2B", "++", true},
		{"x+2B", "x+", true},
		{"+2b", "", false}, // lower-case hex is not xtext (RFC 3461 §4)
		{"+ff", "", false},
		{"+aB", "", false},
		{"+Ab", "", false},
		{"+", "", false},
		{"+2", "", false},
		{"a+", "", false},
		{"a+4", "", false},
		{"+G0", "", false},
		{"+0G", "", false},
		{"++2B", "", false},
		{"+-1", "", false},
		{"=", "", false},
		{"a=b", "", false},
		{"a+2B=", "", false},
		{" ", "", false},
		{"a b", "", false},
		{"a+2B b", "", false},
		{"\x7f", "", false},
		{"a+2B\x7f", "", false},
		{"\x00", "", false},
		{"\t", "", false},
		{"é", "", false},
		{"a+2Bé", "", false},
	}
	for _, tt := range tests {
		got, err := DecodeXTextStrict(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("DecodeXTextStrict(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	// Every octet round-trips through its upper-case hex encoding.
	for c := range 256 {
		enc := []byte{'+', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15]}
		if got, err := DecodeXTextStrict(string(enc)); err != nil || got != string([]byte{byte(c)}) {
			t.Errorf("DecodeXTextStrict(%q) = %q, %v", enc, got, err)
		}
	}
}

func TestParseORCPT(t *testing.T) {
	tests := []struct {
		in, typ, addr string
		wantErr       bool
	}{
		{in: "rfc822;bob@example.com", typ: "rfc822", addr: "bob@example.com"},
		{in: "RFC822;bob+2Bx@example.com", typ: "RFC822", addr: "bob+x@example.com"},
		{in: "x400;c=us;a=+20;p=org", typ: "x400", addr: "c=us;a= ;p=org", wantErr: true}, // '=' is not xchar
		{in: "x400;c+3Dus;a+3D+20", typ: "x400", addr: "c=us;a= "},
		{in: "utf-8;J+C3+A9@example.com", typ: "utf-8", addr: "Jé@example.com"},
		{in: "bob@example.com", wantErr: true},
		{in: ";bob@example.com", wantErr: true},
		{in: "rfc 822;bob@example.com", wantErr: true},
		{in: "rfc822;", wantErr: true},
		{in: "rfc822;bob +", wantErr: true},
	}
	for _, tt := range tests {
		typ, addr, err := ParseORCPT(tt.in)
		if tt.wantErr {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("ParseORCPT(%q) = %q %q %v, want *ParseError", tt.in, typ, addr, err)
			}
			continue
		}
		if err != nil || typ != tt.typ || addr != tt.addr {
			t.Errorf("ParseORCPT(%q) = %q, %q, %v; want %q, %q", tt.in, typ, addr, err, tt.typ, tt.addr)
		}
		if got := FormatORCPT(typ, addr); got != tt.in && !equalFold(got, tt.in) {
			t.Errorf("FormatORCPT(%q, %q) = %q, want %q", typ, addr, got, tt.in)
		}
	}
}

func TestParseEnvID(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "QQ314159", want: "QQ314159"},
		{in: "id+2Bwith+20space", want: "id+with space"},
		{in: "", wantErr: true},
		{in: string(make([]byte, 101)), wantErr: true},
		{in: "ctl+0D+0A", wantErr: true},
		{in: "bad=", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseEnvID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseEnvID(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := ParseStatus("6.0.0")
	const want = `dsn: parse status "6.0.0": class must be 2, 4 or 5`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	_, _, err = ParseORCPT("rfc822;a+zz")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Kind != "orcpt" || pe.Unwrap() == nil {
		t.Fatalf("ORCPT error = %#v", err)
	}
}
