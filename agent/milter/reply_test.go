package milter_test

import (
	"strings"
	"testing"

	"github.com/hubedge/hubedge/agent/milter"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		code int
		text string
		want string
	}{
		{550, "550 5.7.1 Command rejected", "550 5.7.1 Command rejected"},
		{554, "554 5.7.1 Gtube pattern", "554 5.7.1 Gtube pattern"},
		{451, "451 4.7.1 Service unavailable - try again later", "451 4.7.1 Service unavailable - try again later"},
		{550, "550-5.7.1 first\r\n550 5.7.1 second", "550 5.7.1 first second"},
		{421, "421 closing", "421 closing"},
		{550, "no code at all", "550 no code at all"},
		{550, "250 2.0.0 ok", "550 2.0.0 ok"},       // a 2xx in the text never makes the refusal an acceptance
		{550, "550 4.7.1 mismatch", "550 mismatch"}, // enhanced class must match the code
		{0, "", "451"},
	}
	for _, tt := range tests {
		if got := milter.ParseReply(tt.code, tt.text).String(); got != tt.want {
			t.Errorf("ParseReply(%d, %q) = %q, want %q", tt.code, tt.text, got, tt.want)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add(550, "550-5.7.1 a\r\n550 5.7.1 b")
	f.Add(451, "4.7.1")
	f.Add(0, "999 9.9.9 x\n\x00")
	f.Fuzz(func(t *testing.T, code int, text string) {
		r := milter.ParseReply(code, text)
		if r.Code < 400 || r.Code > 599 {
			t.Fatalf("code %d", r.Code)
		}
		if strings.ContainsAny(r.String(), "\r\n") {
			t.Fatalf("multi-line %q", r.String())
		}
	})
}

func TestRspamdScore(t *testing.T) {
	tests := []struct {
		name, value string
		want        int
		ok          bool
	}{
		{"X-Spamd-Result", "default: True [16.50 / 15.00]; GTUBE(0.00)[]", 9, true},
		{"x-spamd-result", "default: False [7.30 / 15.00]; R_SPF_NA(0.00)[]", 4, true},
		{"X-Spamd-Result", "default: False [-2.10 / 15.00]", 0, true},
		{"X-Spamd-Result", "default: False [6.00 / 15.00]", 3, true},
		{"X-Spamd-Result", "default: False [NaN / 15.00]", 0, false},
		{"X-Spamd-Result", "default: False [1 / 0]", 0, false},
		{"X-Spamd-Result", "garbage", 0, false},
		{"X-Spam", "Yes", 0, false},
	}
	for _, tt := range tests {
		got, ok := milter.RspamdScore(tt.name, tt.value)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RspamdScore(%q, %q) = %d, %v; want %d, %v", tt.name, tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzRspamdScore(f *testing.F) {
	f.Add("default: True [16.50 / 15.00]; GTUBE(0.00)[]")
	f.Add("[1e309/1]")
	f.Fuzz(func(t *testing.T, v string) {
		if scl, ok := milter.RspamdScore("X-Spamd-Result", v); ok && (scl < 0 || scl > 9) {
			t.Fatalf("SCL %d", scl)
		}
	})
}
