package dsn

import (
	"strings"
	"testing"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		code int
		text string
		want Reply
		str  string
	}{
		{250, "2.0.0 OK: queued", Reply{250, Status{2, 0, 0}, "OK: queued"}, "250 2.0.0 OK: queued"},
		{250, "OK queued", Reply{250, Status{}, "OK queued"}, "250 OK queued"},
		{556, "5.1.10", Reply{556, Status{5, 1, 10}, ""}, "556 5.1.10"},
		{250, "2.0 nope", Reply{250, Status{}, "2.0 nope"}, "250 2.0 nope"},
		{250, "", Reply{250, Status{}, ""}, "250"},
		{550, "5.1.1 no\n5.1.1 such user", Reply{550, Status{5, 1, 1}, "no\nsuch user"}, "550 5.1.1 no\nsuch user"},
		{550, "5.1.1 a\n5.7.1 b", Reply{550, Status{5, 1, 1}, "a\n5.7.1 b"}, "550 5.1.1 a\n5.7.1 b"},
		{421, "4.3.2\nbye", Reply{421, Status{4, 3, 2}, "\nbye"}, "421 4.3.2 \nbye"},
		{550, "3.1.1 class 3 is no status", Reply{550, Status{}, "3.1.1 class 3 is no status"}, "550 3.1.1 class 3 is no status"},
		{550, "5.1.1.1 x", Reply{550, Status{}, "5.1.1.1 x"}, "550 5.1.1.1 x"},
	}
	for _, tt := range tests {
		got := ParseReply(tt.code, tt.text)
		if got != tt.want {
			t.Errorf("ParseReply(%d, %q) = %+v, want %+v", tt.code, tt.text, got, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("ParseReply(%d, %q).String() = %q, want %q", tt.code, tt.text, s, tt.str)
		}
		if e := (&got).Error(); e != tt.str {
			t.Errorf("Error() = %q, want %q", e, tt.str)
		}
	}
}

func TestReplyClasses(t *testing.T) {
	tests := []struct {
		code                       int
		success, temp, perm, close bool
	}{
		{250, true, false, false, false},
		{354, false, false, false, false},
		{421, false, true, false, true},
		{452, false, true, false, false},
		{550, false, false, true, false},
	}
	for _, tt := range tests {
		r := Reply{Code: tt.code}
		if r.Success() != tt.success || r.Temporary() != tt.temp || r.Permanent() != tt.perm || r.Closing() != tt.close {
			t.Errorf("%d: success %v temporary %v permanent %v closing %v", tt.code, r.Success(), r.Temporary(), r.Permanent(), r.Closing())
		}
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"2.0.0 OK", "5.1.10", "x.y.z a", "999.999.999 big", "1.2.3.4 x", "", "5.1.1 a\n5.1.1 b", "4.0.0\n"} {
		f.Add(550, s)
	}
	f.Fuzz(func(t *testing.T, code int, s string) {
		r := ParseReply(code, s)
		if r.Code != code {
			t.Fatalf("code %d became %d", code, r.Code)
		}
		enh := r.Enhanced()
		if enh == "" {
			if r.Text != s {
				t.Fatalf("text changed without a code: %q -> %q", s, r.Text)
			}
			return
		}
		if !r.Status.Valid() || !strings.HasPrefix(s, enh[:1]) && !strings.HasPrefix(s, "0") {
			t.Fatalf("code %q of %q", enh, s)
		}
		if back, err := ParseStatus(enh); err != nil || back != r.Status {
			t.Fatalf("code %q does not round-trip: %v, %v", enh, back, err)
		}
		if len(r.Text) > len(s) {
			t.Fatalf("text grew: %q -> %q", s, r.Text)
		}
	})
}

// Reading a reply allocates nothing: a client parses one per command.
func TestParseReplyAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = ParseReply(250, "2.1.5 Recipient OK") }); n != 0 {
		t.Errorf("ParseReply allocates %v times", n)
	}
}
