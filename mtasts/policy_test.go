package mtasts_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mtasts"
)

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		mode     mtasts.Mode
		mx       []string
		maxAge   time.Duration
		bad      bool
	}{
		{name: "RFC example", in: "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n",
			mode: mtasts.ModeEnforce, mx: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, maxAge: 604800 * time.Second},
		{name: "CRLF, spaces, case, trailing dot", in: "version: STSv1\r\nmode:  testing \r\nmx: MX1.Fabrikam.COM.\r\nmax_age:86400\r\n",
			mode: mtasts.ModeTesting, mx: []string{"mx1.fabrikam.com"}, maxAge: 86400 * time.Second},
		{name: "none needs no mx", in: "version: STSv1\nmode: none\nmax_age: 0\n", mode: mtasts.ModeNone},
		{name: "unknown key ignored, first mode wins", in: "version: STSv1\nmode: enforce\nmode: none\nfoo: bar\nmx: a.b\nmax_age: 1\n",
			mode: mtasts.ModeEnforce, mx: []string{"a.b"}, maxAge: time.Second},
		{name: "bad version", in: "version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 1\n", bad: true},
		{name: "bad mode", in: "version: STSv1\nmode: strict\nmx: a.b\nmax_age: 1\n", bad: true},
		{name: "max_age too large", in: "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n", bad: true},
		{name: "max_age negative", in: "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -1\n", bad: true},
		{name: "missing mx", in: "version: STSv1\nmode: enforce\nmax_age: 1\n", bad: true},
		{name: "missing version", in: "mode: enforce\nmx: a.b\nmax_age: 1\n", bad: true},
		{name: "no colon", in: "version STSv1\n", bad: true},
		{name: "wildcard inside", in: "version: STSv1\nmode: enforce\nmx: a.*.b\nmax_age: 1\n", bad: true},
		{name: "empty", in: "", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := mtasts.ParsePolicy([]byte(tc.in))
			if tc.bad {
				if !errors.Is(err, mtasts.ErrPolicy) {
					t.Fatalf("err = %v, want ErrPolicy", err)
				}
				return
			}
			if err != nil || p.Mode != tc.mode || !slices.Equal(p.MX, tc.mx) || p.MaxAge != tc.maxAge {
				t.Fatalf("ParsePolicy = %+v, %v", p, err)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	p := &mtasts.Policy{MX: []string{"mail.fabrikam.com", "*.mx.fabrikam.com"}}
	for host, want := range map[string]bool{
		"mail.fabrikam.com":      true,
		"MAIL.fabrikam.com.":     true,
		"a.mx.fabrikam.com":      true,
		"mx.fabrikam.com":        false, // the wildcard needs one label
		"a.b.mx.fabrikam.com":    false, // and only one
		"evil.mail.fabrikam.com": false,
		"fabrikam.com":           false,
	} {
		if got := p.Match(host); got != want {
			t.Errorf("Match(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestParseRecord(t *testing.T) {
	for in, want := range map[string]string{
		"v=STSv1; id=20160831085700Z;": "20160831085700Z",
		"v=STSv1;id=abc":               "abc",
		"v=STSv1; ext=1; id=X1 ":       "X1",
		"v=STSv1;":                     "",
		"v=STSv2; id=1":                "",
		"v=STSv1; id=has-dash":         "",
		"v=STSv1; id=0123456789012345678901234567890123": "",
	} {
		got, err := mtasts.ParseRecord(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("ParseRecord(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
