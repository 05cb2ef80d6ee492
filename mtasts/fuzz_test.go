package mtasts_test

import (
	"testing"

	"github.com/hubedge/hubedge/mtasts"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte("version: STSv1\nmode: enforce\nmx: *.fabrikam.com\nmax_age: 86400\n"))
	f.Add([]byte("version: STSv1\r\nmode: none\r\nmax_age: 0\r\n"))
	f.Add([]byte("mx:\n:\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := mtasts.ParsePolicy(b)
		if err != nil {
			return
		}
		if p.MaxAge < 0 || p.MaxAge > mtasts.MaxMaxAge || p.Mode == "" || p.Mode != mtasts.ModeNone && len(p.MX) == 0 {
			t.Fatalf("accepted an invalid policy: %+v", p)
		}
		for _, pat := range p.MX {
			_ = p.Match(pat)
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	f.Add("v=STSv1; id=20160831085700Z;")
	f.Add("v=STSv1;id=;id=x")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := mtasts.ParseRecord(s)
		if err == nil && (id == "" || len(id) > 32) {
			t.Fatalf("ParseRecord(%q) = %q", s, id)
		}
	})
}
